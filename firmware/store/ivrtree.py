"""IVR trees as the admin edits them: nodes, prompts and where each choice leads.

A tree is one JSON document, checked as a whole when it is written (every error names
the field, e.g. ``ivr.nodes.main.options.9``) and run by ``firmware.flows.ivr``::

    {"start": "main", "language": "en",
     "nodes": {
       "main":   {"type": "menu", "prompt": {"text": {"en": "For support press 1 ...",
                                                      "zh": "技术支持请按1 ..."}},
                  "options": {"1": "queue:support", "2": "node:ticket", "9": "node:zh"},
                  "timeout_s": 5, "retries": 2, "fail": "hangup"},
       "ticket": {"type": "input", "prompt": "prompt:enter-ticket", "var": "ticket",
                  "min_digits": 1, "max_digits": 8, "terminator": "#",
                  "next": "node:status", "fail": "node:main"},
       "status": {"type": "lookup", "lookup": "ticket", "var": "ticket",
                  "found": "queue:support", "not_found": "node:main"},
       "zh":     {"type": "set", "language": "zh", "data": {"segment": "cn"},
                  "next": "node:main"},
       "hours":  {"type": "hours", "schedule": "office", "open": "node:main",
                  "closed": "voicemail:general"},
       "vip":    {"type": "branch", "var": "segment", "cases": {"gold": "queue:vip"},
                  "default": "queue:support"},
       "bye":    {"type": "play", "prompt": {"file": "ivr/bye.wav"}, "next": "hangup"}}}

A **prompt** is ``"prompt:<name>"`` (a named prompt), ``{"file": "<path under
var/prompts>"}`` or ``{"text": "..."}`` / ``{"text": {"en": "...", "zh": "..."}}``
spoken by espeak-ng in the call's language. **Targets** are ``firmware.store.targets``
texts plus ``node:<id>`` for another node of the tree. Variables set by ``input`` and
``set`` nodes are the call's data: ``customer`` and ``ticket`` feed the screen pop,
``priority`` raises the ACD priority, and ``branch`` nodes route on any of them.

A menu of schema 1 (``ivr_menus.prompt_file`` + ``ivr_options``, no tree) runs as a tree
of one menu node: ``IvrTree.from_menu``.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

from firmware.store import fields as f
from firmware.store.db import ValidationError
from firmware.store.targets import ROUTABLE, Target

LANGUAGES = ("en", "zh")
NODE_TYPES = ("menu", "input", "lookup", "play", "set", "branch", "hours")
LOOKUPS = ("customer", "ticket")
DTMF = "0123456789*#"
MAX_NODES = 200
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
_VAR = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
TREE_TARGETS = (*ROUTABLE, "node")

#: what each node type takes: field -> (kind, required)
_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    "menu": {"prompt": ("prompt", True), "options": ("options", True),
             "timeout_s": ("seconds", False), "retries": ("retries", False),
             "invalid": ("prompt", False), "no_input": ("prompt", False),
             "fail": ("target", False)},
    "input": {"prompt": ("prompt", True), "var": ("var", True),
              "min_digits": ("digits", False), "max_digits": ("digits", False),
              "terminator": ("key", False), "timeout_s": ("seconds", False),
              "retries": ("retries", False), "invalid": ("prompt", False),
              "next": ("target", True), "fail": ("target", False)},
    "lookup": {"lookup": ("lookup", True), "var": ("var", True), "found": ("target", True),
               "not_found": ("target", True)},
    "play": {"prompt": ("prompt", True), "next": ("target", True)},
    "set": {"language": ("language", False), "data": ("data", False),
            "priority": ("priority", False), "next": ("target", True)},
    "branch": {"var": ("var", True), "cases": ("cases", True), "default": ("target", True)},
    "hours": {"schedule": ("schedule", True), "open": ("target", True),
              "closed": ("target", True)},
}
_DEFAULTS = {"timeout_s": 5, "retries": 2, "min_digits": 1, "max_digits": 15,
             "terminator": "#", "fail": "hangup"}


def prompt_spec(field_name: str, v: Any) -> Any:
    """A prompt as stored: ``"prompt:<name>"``, ``{"file": ...}`` or ``{"text": ...}``."""
    if isinstance(v, str):
        kind, _, name = v.partition(":")
        if kind != "prompt" or not name:
            raise ValidationError(field_name, "\"prompt:<name>\", {\"file\": ...} or"
                                  " {\"text\": ...}", v)
        return f"prompt:{f.name(field_name, name)}"
    if not isinstance(v, dict) or len(v) != 1 or next(iter(v)) not in ("file", "text"):
        raise ValidationError(field_name, "\"prompt:<name>\", {\"file\": ...} or"
                              " {\"text\": ...}", v)
    if "file" in v:
        path = f.rel_path(f"{field_name}.file", v["file"])
        if not path.endswith(".wav"):
            raise ValidationError(f"{field_name}.file", "a .wav file under var/prompts", path)
        return {"file": path}
    return {"text": texts(f"{field_name}.text", v["text"])}


def texts(field_name: str, v: Any) -> Any:
    """One text, or texts per language ({"en": ..., "zh": ...})."""
    if isinstance(v, str):
        return f.text(field_name, v, 500, required=True)
    if not isinstance(v, dict) or not v:
        raise ValidationError(field_name, "a text or an object of language -> text", v)
    out = {}
    for lang, text in v.items():
        if lang not in LANGUAGES:
            raise ValidationError(f"{field_name}.{lang}", "one of " + ", ".join(LANGUAGES))
        out[lang] = f.text(f"{field_name}.{lang}", text, 500, required=True)
    return out


@dataclass(frozen=True)
class Node:
    id: str
    type: str
    spec: dict[str, Any]

    def get(self, key: str) -> Any:
        return self.spec.get(key, _DEFAULTS.get(key))


@dataclass(frozen=True)
class IvrTree:
    name: str
    start: str
    language: str
    nodes: dict[str, Node] = field(default_factory=dict)

    # -- building -------------------------------------------------------------------
    @classmethod
    def from_doc(cls, name: str, doc: Any) -> "IvrTree":
        name = f.name("ivr.name", name)
        if not isinstance(doc, dict):
            raise ValidationError("ivr", "an object with start, language and nodes", doc)
        bad = sorted(set(doc) - {"start", "language", "nodes"})
        if bad:
            raise ValidationError(f"ivr.{bad[0]}", "only start, language and nodes")
        nodes_doc = doc.get("nodes")
        if not isinstance(nodes_doc, dict) or not 1 <= len(nodes_doc) <= MAX_NODES:
            raise ValidationError("ivr.nodes", f"an object of 1-{MAX_NODES} nodes", nodes_doc)
        language = f.choice("ivr.language", doc.get("language", "en"), LANGUAGES)
        nodes = {}
        for node_id, spec in nodes_doc.items():
            where = f"ivr.nodes.{node_id}"
            if not isinstance(node_id, str) or not _ID.match(node_id):
                raise ValidationError(where, "a node id of 1-32 of a-z, 0-9, '_', '-'", node_id)
            nodes[node_id] = _node(where, node_id, spec)
        start = doc.get("start")
        if start not in nodes:
            raise ValidationError("ivr.start", "the id of one of the tree's nodes", start)
        tree = cls(name, start, language, nodes)
        for where, target in tree.targets():
            if target.kind == "node" and target.name not in nodes:
                raise ValidationError(where, "node:<id> of a node of this tree", str(target))
        return tree

    @classmethod
    def from_menu(cls, name: str, prompt_file: str, options: dict[str, str], timeout_s: int,
                  retries: int) -> "IvrTree":
        """A one-level menu of schema 1 as a tree (digit -> queue, hang up after retries)."""
        spec = {"prompt": {"file": prompt_file},
                "options": {d: f"queue:{q}" for d, q in options.items()},
                "timeout_s": timeout_s, "retries": retries, "fail": "hangup"}
        return cls(name, "main", "en", {"main": Node("main", "menu", spec)})

    @classmethod
    def loads(cls, name: str, text: str) -> "IvrTree":
        return cls.from_doc(name, json.loads(text))

    def to_doc(self) -> dict[str, Any]:
        return {"start": self.start, "language": self.language,
                "nodes": {n.id: {"type": n.type, **n.spec} for n in self.nodes.values()}}

    def dumps(self) -> str:
        return json.dumps(self.to_doc(), ensure_ascii=False, sort_keys=True)

    # -- reading ------------------------------------------------------------------
    def targets(self) -> Iterator[tuple[str, Target]]:
        """Every target of the tree with the field it sits in."""
        for node in self.nodes.values():
            where = f"ivr.nodes.{node.id}"
            for key, (kind, _) in _FIELDS[node.type].items():
                value = node.get(key)
                if kind == "target" and value is not None:
                    yield f"{where}.{key}", Target.parse(value, f"{where}.{key}", TREE_TARGETS)
                elif kind in ("options", "cases") and value:
                    for k, t in value.items():
                        yield f"{where}.{key}.{k}", Target.parse(t, f"{where}.{key}.{k}",
                                                                  TREE_TARGETS)

    def prompts(self) -> Iterator[tuple[str, Any]]:
        """Every prompt of the tree (to render them ahead of the first call)."""
        for node in self.nodes.values():
            for key, (kind, _) in _FIELDS[node.type].items():
                if kind == "prompt" and node.spec.get(key) is not None:
                    yield f"ivr.nodes.{node.id}.{key}", node.spec[key]

    def schedules(self) -> set[str]:
        return {n.spec["schedule"] for n in self.nodes.values() if n.type == "hours"}


def _node(where: str, node_id: str, spec: Any) -> Node:
    if not isinstance(spec, dict):
        raise ValidationError(where, "an object with a type", spec)
    kind = spec.get("type")
    if kind not in NODE_TYPES:
        raise ValidationError(f"{where}.type", "one of " + ", ".join(NODE_TYPES), kind)
    allowed = _FIELDS[kind]
    bad = sorted(set(spec) - set(allowed) - {"type"})
    if bad:
        raise ValidationError(f"{where}.{bad[0]}", f"a field of a {kind} node: "
                              + ", ".join(sorted(allowed)))
    out: dict[str, Any] = {}
    for key, (check, required) in allowed.items():
        name = f"{where}.{key}"
        if key not in spec:
            if required:
                raise ValidationError(name, f"a value (required for a {kind} node)")
            continue
        out[key] = _check(check, name, spec[key])
    if kind == "input":
        lo, hi = out.get("min_digits", 1), out.get("max_digits", 15)
        if lo > hi:
            raise ValidationError(f"{where}.min_digits", "at most max_digits", lo)
    if kind == "set" and not ({"language", "data", "priority"} & set(out)):
        raise ValidationError(where, "a set node that sets language, data or priority", spec)
    return Node(node_id, kind, out)


def _check(check: str, name: str, v: Any) -> Any:
    if check == "prompt":
        return prompt_spec(name, v)
    if check == "target":
        return str(Target.parse(v, name, TREE_TARGETS))
    if check == "options":
        if not isinstance(v, dict) or not v:
            raise ValidationError(name, "an object of key (0-9, * or #) -> target", v)
        out = {}
        for key, t in v.items():
            if not isinstance(key, str) or len(key) != 1 or key not in DTMF:
                raise ValidationError(f"{name}.{key}", "a key 0-9, * or #", key)
            out[key] = str(Target.parse(t, f"{name}.{key}", TREE_TARGETS))
        return dict(sorted(out.items()))
    if check == "cases":
        if not isinstance(v, dict) or not v or len(v) > 50:
            raise ValidationError(name, "an object of 1-50 value -> target", v)
        return {f.text(f"{name}.{k}", k, 64, required=True):
                str(Target.parse(t, f"{name}.{k}", TREE_TARGETS)) for k, t in v.items()}
    if check == "seconds":
        return f.integer(name, v, 1, 60)
    if check == "retries":
        return f.integer(name, v, 0, 10)
    if check == "digits":
        return f.integer(name, v, 1, 20)
    if check == "priority":
        return f.integer(name, v, 0, 100)
    if check == "key":
        if v == "" or (isinstance(v, str) and len(v) == 1 and v in "*#"):
            return v
        raise ValidationError(name, "'#', '*' or '' (none)", v)
    if check == "var":
        if not isinstance(v, str) or not _VAR.match(v):
            raise ValidationError(name, "a variable name of 1-32 of a-z, 0-9, '_'", v)
        return v
    if check == "lookup":
        return f.choice(name, v, LOOKUPS)
    if check == "language":
        return f.choice(name, v, LANGUAGES)
    if check == "schedule":
        return f.name(name, v)
    if check == "data":
        if not isinstance(v, dict) or len(v) > 20:
            raise ValidationError(name, "an object of up to 20 variable -> text", v)
        out_d = {}
        for k, x in v.items():
            _check("var", f"{name}.{k}", k)
            out_d[k] = f.text(f"{name}.{k}", x, 64)
        return out_d
    raise AssertionError(check)                       # a field kind without a check
