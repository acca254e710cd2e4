"""Small helpers every route module uses: the principal, parsed arguments, JSON bodies,
and the JSON Schemas the OpenAPI document is made of."""
from __future__ import annotations

import json
from typing import Any

from bottle import request

from firmware.crm.permissions import Principal
from webui.access import fail


def me() -> Principal:
    """The principal of a non-public route (the access plugin made sure there is one)."""
    p = request.environ.get("callbox.principal")
    assert p is not None
    return p


def args() -> dict[str, Any]:
    return dict(request.environ.get("callbox.args", {}))


def json_body(schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The request's JSON object, its top level checked against ``schema`` (400 otherwise)."""
    if not request.content_type.startswith("application/json"):
        raise fail(415, "expected Content-Type: application/json")
    try:
        raw = request.body.read()
        data = json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise fail(400, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise fail(400, "the body must be a JSON object")
    if schema:
        props = schema.get("properties", {})
        for key in schema.get("required", ()):
            if key not in data:
                raise fail(400, f"{key}: required", parameter=key)
        for key, value in data.items():
            if key not in props:
                if schema.get("additionalProperties", True) is False:
                    raise fail(400, f"{key}: no such field", parameter=key)
                continue
            if not _type_ok(value, props[key]):
                raise fail(400, f"{key}: expected {_describe(props[key])}", parameter=key)
    return data


_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str, "integer": int, "number": (int, float), "boolean": bool, "object": dict,
    "array": list, "null": type(None)}


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    t = schema.get("type")
    if t is None:
        return True
    types = t if isinstance(t, list) else [t]
    for name in types:
        want = _TYPES[name]
        if isinstance(value, bool) and name in ("integer", "number"):
            continue
        if isinstance(value, want):
            if isinstance(value, str) and "maxLength" in schema \
                    and len(value) > schema["maxLength"]:
                return False
            if "enum" in schema and value not in schema["enum"]:
                return False
            if name == "integer" and not (schema.get("minimum", -2**62) <= value
                                          <= schema.get("maximum", 2**62)):
                return False
            return True
    return False


def _describe(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "one of " + ", ".join(map(str, schema["enum"]))
    t = schema.get("type", "a value")
    return " or ".join(t) if isinstance(t, list) else str(t)


# JSON Schemas ---------------------------------------------------------------------
STR = {"type": "string"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
OPT_STR = {"type": ["string", "null"]}
OPT_NUM = {"type": ["number", "null"]}
OPT_INT = {"type": ["integer", "null"]}
ANY_OBJ = {"type": "object"}


def obj(required: tuple[str, ...] = (), /, **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def arr(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def paged(item: dict[str, Any]) -> dict[str, Any]:
    return obj(("items", "total", "limit", "offset"), items=arr(item), total=INT, limit=INT,
               offset=INT)


OK = obj(("ok",), ok=BOOL)
