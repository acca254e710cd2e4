"""Load an acd_core module as its compiled build or as pure Python, whole.

Every acd_core test runs against both
(docs/style.md#cython-the-python-source-is-the-truth): the compiled extension is what
the box runs, the pure module is the source of truth and what a developer reads.
With CALLBOX_REQUIRE_CYTHON=1 (``make test``, CI) a missing compiled module is a
failure, not a skip, so a broken build cannot hide behind the pure fallback.

The pure build is a second copy of the package under its own top-level name,
``acd_core__pure``, imported from the ``.py`` sources by a meta-path finder that
never returns an extension module. Loading only the named module as source (what
this helper did before) left everything *it* imported compiled: the "pure" DTMF
receiver decoded A-law with the compiled ``g711``, and splitting the ACD engine
into several compiled modules would have made the pure engine mostly compiled.
Here, ``load("acd_core.acd._engine", "pure")`` is ``acd_core__pure.acd._engine``
and every module it reaches through ``acd_core`` is pure as well:

* **Copied** (executed again from source, under ``acd_core__pure.…``): every
  module that has a compiled build (a ``.pxd`` beside its ``.py``, the rule of
  ``setup.py``), every module whose import executes one of those, directly or
  not (importing ``a.b`` executes ``a`` first), and every package above a
  copied module (importing a submodule sets an attribute
  on its parent, which must not be the real package). In a copied module the
  absolute imports of ``acd_core.X`` are rewritten to ``acd_core__pure.X`` (in
  its syntax tree, before compiling: the source file and its cached bytecode are
  untouched); relative imports resolve inside the copy by themselves.
* **Shared** (the very module object of the real package): every other module.
  They are pure Python in both builds, and sharing them keeps one identity for
  the vocabulary both builds speak: events and decisions (``acd.model``), errors
  (``acd_core.errors``), so that a test compares the decisions of both builds
  with ``==`` and catches the engine's ``ConfigError`` with the real class.

Which modules are copied is decided from the sources' import statements
(:func:`copied_modules`); ``tests/acd_core/test_builds.py`` proves that no module
of the pure variant is an extension module and that every module with a ``.pxd``
loads compiled.
"""
from __future__ import annotations

import ast
import functools
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Optional, Sequence

import pytest

BUILDS = ("compiled", "pure")
PACKAGE = "acd_core"
PURE = "acd_core__pure"
ROOT = Path(__file__).resolve().parents[2] / PACKAGE


def is_compiled(module: ModuleType) -> bool:
    return any(str(module.__file__).endswith(s) for s in importlib.machinery.EXTENSION_SUFFIXES)


def pure_name(modname: str) -> str:
    """``acd_core.x.y`` -> ``acd_core__pure.x.y``."""
    if modname != PACKAGE and not modname.startswith(PACKAGE + "."):
        raise ValueError(f"{modname} is not in {PACKAGE}")
    return PURE + modname[len(PACKAGE):]


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
    _install()
    return importlib.import_module(pure_name(modname))


# -- what is copied -------------------------------------------------------------

def _source(modname: str) -> Optional[Path]:
    """The .py of a module or package of acd_core, or None."""
    rel = modname.split(".")[1:]
    base = ROOT.joinpath(*rel)
    if (base / "__init__.py").is_file():
        return base / "__init__.py"
    if base.with_suffix(".py").is_file():
        return base.with_suffix(".py")
    return None


def _is_package(modname: str) -> bool:
    src = _source(modname)
    return src is not None and src.name == "__init__.py"


def _all_modules() -> list[str]:
    mods = []
    for py in sorted(ROOT.rglob("*.py")):
        rel = py.relative_to(ROOT.parent).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts.pop()
        mods.append(".".join(parts))
    return mods


def has_compiled_build(modname: str) -> bool:
    """setup.py's rule: a .pxd beside the .py compiles it."""
    src = _source(modname)
    return src is not None and src.name != "__init__.py" and src.with_suffix(".pxd").is_file()


def _imports(modname: str) -> set[str]:
    """acd_core modules that importing ``modname`` executes (parents included)."""
    src = _source(modname)
    assert src is not None, modname
    package = modname if _is_package(modname) else modname.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(src.read_bytes(), str(src))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            targets = [target] + [f"{target}.{a.name}" for a in node.names]
        for t in targets:
            if t == PACKAGE or t.startswith(PACKAGE + "."):
                parts = t.split(".")
                for i in range(1, len(parts) + 1):
                    name = ".".join(parts[:i])
                    if _source(name) is not None:
                        found.add(name)
    found.discard(modname)
    return found


@functools.lru_cache(maxsize=None)
def copied_modules() -> frozenset[str]:
    """Modules the pure variant executes from its own copy (see the module docstring)."""
    mods = _all_modules()
    graph = {m: _imports(m) for m in mods}
    # modules whose import executes compiled code, directly or through others
    runs_compiled = {m for m in mods if has_compiled_build(m)}
    changed = True
    while changed:
        changed = False
        for m in mods:
            if m not in runs_compiled and graph[m] & runs_compiled:
                runs_compiled.add(m)
                changed = True
    # and the packages above them (a parent gets its submodule as an attribute)
    parents = {".".join(m.split(".")[:i]) for m in runs_compiled
               for i in range(1, m.count(".") + 1)}
    return frozenset(runs_compiled | parents)


# -- the finder -----------------------------------------------------------------

class _RewriteImports(ast.NodeTransformer):
    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.ImportFrom:
        if node.level == 0 and node.module and (node.module == PACKAGE
                                                or node.module.startswith(PACKAGE + ".")):
            node.module = pure_name(node.module)
        return node

    def visit_Import(self, node: ast.Import) -> ast.Import:
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                raise ImportError(f"`import {alias.name}` in a copied module: write "
                                  f"`from ... import ...` (the pure build rewrites those)")
        return node


class _CopyLoader(importlib.abc.Loader):
    """Executes an acd_core source file as a module of the pure variant."""

    def __init__(self, source: Path) -> None:
        self.source = source

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        tree = _RewriteImports().visit(ast.parse(self.source.read_bytes(), str(self.source)))
        code = compile(ast.fix_missing_locations(tree), str(self.source), "exec")
        exec(code, module.__dict__)


class _ShareLoader(importlib.abc.Loader):
    """Makes the pure variant's name point at the real (pure Python) module."""

    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.real)
        assert not is_compiled(module), f"{self.real} is shared but compiled"
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self._spec     # importlib set the alias's spec on the real module


class _PureFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Optional[ModuleType] = None) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname != PURE and not fullname.startswith(PURE + "."):
            return None
        real = PACKAGE + fullname[len(PURE):]
        source = _source(real)
        if source is None:
            raise ModuleNotFoundError(f"no source for {real} (the pure build imports .py only)",
                                      name=fullname)
        if real not in copied_modules():
            return importlib.machinery.ModuleSpec(fullname, _ShareLoader(real))
        package = source.name == "__init__.py"
        spec = importlib.machinery.ModuleSpec(fullname, _CopyLoader(source), origin=str(source),
                                              is_package=package)
        spec.has_location = True
        if package:
            spec.submodule_search_locations = [str(source.parent)]
        return spec


_FINDER = _PureFinder()


def _install() -> None:
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def pure_variant_modules() -> dict[str, ModuleType]:
    """The modules of the pure variant loaded so far, by their pure name."""
    return {k: v for k, v in sys.modules.items() if k == PURE or k.startswith(PURE + ".")}
