"""Load an acd_core module as its compiled build or as pure Python.

Every acd_core test runs against both
(docs/style.md#cython-the-python-source-is-the-truth): the compiled extension is what
the box runs, the pure module is the source of truth and what a developer reads.
With CALLBOX_REQUIRE_CYTHON=1 (``make test``, CI) a missing compiled module is a
failure, not a skip, so a broken build cannot hide behind the pure fallback.
"""
from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

BUILDS = ("compiled", "pure")


def is_compiled(module: ModuleType) -> bool:
    return any(str(module.__file__).endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES)


def load(modname: str, build: str) -> ModuleType:
    if build == "compiled":
        module = importlib.import_module(modname)
        if not is_compiled(module):
            if os.environ.get("CALLBOX_REQUIRE_CYTHON") == "1":
                pytest.fail(f"{modname} is not compiled (loaded {module.__file__}) "
                            "but CALLBOX_REQUIRE_CYTHON=1")
            pytest.skip(f"{modname}: compiled build not available")
        return module
    if build != "pure":
        raise ValueError(f"unknown build {build!r}")
    pure_name = f"{modname}__pure"
    if pure_name in sys.modules:
        return sys.modules[pure_name]
    spec = importlib.util.find_spec(modname)
    assert spec is not None and spec.origin, modname
    source = Path(spec.origin).parent / (modname.rsplit(".", 1)[-1] + ".py")
    pure_spec = importlib.util.spec_from_file_location(pure_name, source)
    assert pure_spec is not None and pure_spec.loader is not None
    module = importlib.util.module_from_spec(pure_spec)
    # Relative imports inside the module resolve against the real package.
    module.__package__ = modname.rsplit(".", 1)[0]
    sys.modules[pure_name] = module
    pure_spec.loader.exec_module(module)
    return module
