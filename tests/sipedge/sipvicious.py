"""Run a SIPVicious tool (Debian package ``sipvicious``) as an attacker at a chosen address.

``python -m tests.sipedge.sipvicious svwar|svcrack BIND_IP USER_AGENT ARGS...``

The tool runs unchanged but for two defaults: the address it binds (0.3.3 parses
``-b`` but never hands it to its scanner, so on loopback every run would come
from 127.0.0.1) and, unless ``USER_AGENT`` is ``-``, the User-Agent it sends
(its own is ``friendly-scanner``, which the edge bans on sight; a real attacker
changes it, so the tests run it both ways).
"""
from __future__ import annotations

import importlib
import inspect
import sys

SIPVICIOUS = "/usr/share/sipvicious"
SCANNERS = {"svwar": "TakeASip", "svcrack": "ASipOfRedWine"}


def _set_default(fn: object, name: str, value: object) -> None:
    params = [p for p in inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
              if p.default is not inspect.Parameter.empty]
    defaults = list(fn.__defaults__)  # type: ignore[attr-defined]
    defaults[[p.name for p in params].index(name)] = value
    fn.__defaults__ = tuple(defaults)  # type: ignore[attr-defined]


def main() -> int:
    tool, bind, agent, *args = sys.argv[1:]
    sys.path.insert(0, SIPVICIOUS)
    helper = importlib.import_module("sipvicious.libs.svhelper")
    module = importlib.import_module(f"sipvicious.{tool}")
    _set_default(getattr(module, SCANNERS[tool]).__init__, "bindingip", bind)
    if agent != "-":
        _set_default(helper.makeRequest, "useragent", agent)
    sys.argv = [tool, *args]
    return module.main() or 0


if __name__ == "__main__":
    sys.exit(main())
