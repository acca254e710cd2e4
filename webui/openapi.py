"""``/api/openapi.json``: written from the route declarations, never by hand.

Every route under ``/api/`` appears with its parameters (from the query
parsers' schemas and the path converters), its request body and 200 answer
schemas, the permission it needs (``x-permission``) and the error answers
it may give. Pages (HTML) are not part of the API and are left out; the test
``tests/webui/test_openapi.py`` checks both directions.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from webui.params import schema_of
from webui.routing import LOGGED_IN, PUBLIC, RouteSpec

VERSION = "0.1.0"
ERROR = {"type": "object", "required": ["error"],
         "properties": {"error": {"type": "string"}, "parameter": {"type": "string"},
                        "permission": {"type": "string"}}}
_PATH_ARG = re.compile(r"<([a-zA-Z_][a-zA-Z0-9_]*)(?::([a-z]+))?>")
_ERRORS = {400: "a parameter or the body is malformed (names it)",
           401: "no session and no API token",
           403: "the principal lacks the permission, or the CSRF token / Origin is wrong",
           404: "no such object (or outside the principal's scope)",
           409: "the change conflicts with the object's state",
           411: "a streamed upload came without a Content-Length (chunked)",
           413: "the request body is too large",
           415: "the body is not JSON",
           422: "the uploaded file cannot be read as what it should be (names the line)",
           429: "too many attempts",
           503: "the daemon did not answer in time",
           507: "the data partition has no room for the upload"}


def openapi_path(rule: str) -> str:
    return _PATH_ARG.sub(lambda m: "{" + m.group(1) + "}", rule)


def _path_params(rule: str) -> list[dict[str, Any]]:
    out = []
    for name, conv in _PATH_ARG.findall(rule):
        schema: dict[str, Any] = {"type": "integer", "minimum": 0, "maximum": 2**62} \
            if conv == "int" else {"type": "string", "minLength": 1, "maxLength": 200}
        if conv == "path":
            schema = {"type": "string", "minLength": 1, "maxLength": 400}
        out.append({"name": name, "in": "path", "required": True, "schema": schema})
    return out


def _error(desc: str) -> dict[str, Any]:
    return {"description": desc, "content": {"application/json": {"schema": ERROR}}}


def operation(spec: RouteSpec) -> dict[str, Any]:
    op: dict[str, Any] = {
        "summary": spec.summary,
        "operationId": (spec.method.lower() + "_" + re.sub(r"[^a-zA-Z0-9]+", "_",
                                                             spec.path).strip("_")),
        "tags": [spec.tag] if spec.tag else [],
        "x-permission": spec.permission if isinstance(spec.permission, str)
        else list(spec.permission),
    }
    params = _path_params(spec.path) + [
        {"name": name, "in": "query", "required": False, "schema": schema_of(parse)}
        for name, parse in spec.query.items()]
    if params:
        op["parameters"] = params
    if spec.body is not None:
        op["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": spec.body}}}
    if spec.kind == "stream":
        ok: dict[str, Any] = {"description": "a stream of server-sent events",
                              "content": {"text/event-stream": {"schema": {"type": "string"}}}}
    elif spec.kind == "file":
        ok = {"description": "the file", "content": {"application/octet-stream": {
            "schema": {"type": "string", "format": "binary"}}}}
    elif spec.status == 204:
        ok = {"description": "done"}
    else:
        ok = {"description": "success", "content": {"application/json": {
            "schema": spec.response or {"type": "object"}}}}
    responses: dict[str, Any] = {str(spec.status): ok}
    if spec.kind == "file":
        responses["206"] = {"description": "the requested byte range",
                            "content": {"application/octet-stream": {
                                "schema": {"type": "string", "format": "binary"}}}}
        responses["416"] = _error("the byte range is outside the file")
    codes = [400, 404, 503]
    if spec.permission != PUBLIC:
        codes += [401, 403]
    if spec.method not in ("GET", "HEAD"):
        codes += [409, 413, 415]
    codes += [c for c in spec.errors if c not in codes]
    if spec.path == "/api/health":
        responses["503"] = {"description": "a component is down", "content": {
            "application/json": {"schema": spec.response}}}
        codes.remove(503)
    for code in sorted(codes):
        responses.setdefault(str(code), _error(_ERRORS[code]))
    op["responses"] = responses
    if spec.permission == PUBLIC:
        op["security"] = []
    return op


def document(specs: Iterable[RouteSpec]) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for spec in specs:
        if not spec.path.startswith("/api/"):
            continue
        paths.setdefault(openapi_path(spec.path), {})[spec.method.lower()] = operation(spec)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Callbox API", "version": VERSION, "description": (
            "REST/JSON API of the Callbox appliance: what the web pages do. Authenticate "
            "with the session cookie of a login (state-changing requests also send the "
            "session's CSRF token as X-CSRF-Token) or with an API token of an integration "
            "(Authorization: Bearer cbx_...). Each operation names the permission it needs "
            f"in x-permission ('{LOGGED_IN}': any principal). Phone numbers are masked "
            "unless the principal holds numbers.unmasked.")},
        "components": {"securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "callbox_session"},
            "token": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": ERROR}},
        "security": [{"session": []}, {"token": []}],
        "paths": dict(sorted(paths.items())),
    }
