"""Build hook: compiles every acd_core module that has a .pxd beside its .py.

The .pxd is the one list of what compiles
(docs/style.md#cython-the-python-source-is-the-truth): adding a .pxd next to a module opts it in, nothing else changes.
With CALLBOX_REQUIRE_CYTHON=1 (CI, image) a module that fails to compile fails
the build instead of silently falling back to pure Python. With
CALLBOX_EDITABLE_ONLY=1 (`make deps`) nothing compiles: `make build` does it in place.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
COMPILED_PACKAGES = ("acd_core",)


def _compiled_modules() -> list[str]:
    mods = []
    for pkg in COMPILED_PACKAGES:
        for pxd in sorted((ROOT / pkg).rglob("*.pxd")):
            py = pxd.with_suffix(".py")
            if py.exists():
                mods.append(str(py.relative_to(ROOT)))
    return mods


def _ext_modules():
    if os.environ.get("CALLBOX_EDITABLE_ONLY") == "1":
        # `make deps` installs the checkout editable and `make build` compiles the same
        # modules in place right after (two jobs): compiling here too, single-threaded in
        # pip's build environment, cost a clean clone's `make test` about a minute
        return []
    required = os.environ.get("CALLBOX_REQUIRE_CYTHON") == "1"
    try:
        from Cython.Build import cythonize
    except ImportError:
        if required:
            sys.exit("CALLBOX_REQUIRE_CYTHON=1 but Cython is not installed")
        return []
    try:
        return cythonize(
            _compiled_modules(),
            compiler_directives={"language_level": "3", "boundscheck": False,
                                 "wraparound": False, "cdivision": True},
            quiet=True,
        )
    except Exception as exc:  # pragma: no cover - only on a broken toolchain
        if required:
            raise
        print(f"warning: Cython build skipped: {exc}", file=sys.stderr)
        return []


setup(ext_modules=_ext_modules())
