"""The two builds every acd_core test runs against are what they say they are.

The pure build must be pure all the way down: a pure DTMF receiver that decodes
A-law with the compiled ``g711``, or a pure ACD engine built from compiled
parts, would let a bug of the compiled code pass as "both builds agree".
"""
from __future__ import annotations

import importlib
import sys
from types import ModuleType

import pytest

from tests.support.builds import (PURE, _all_modules, copied_modules, has_compiled_build,
                                  is_compiled, load, pure_name, pure_variant_modules)

COMPILED = [m for m in _all_modules() if has_compiled_build(m)]
EVERY = [m for m in _all_modules() if not m.endswith(".__main__")]


def test_the_build_list_is_not_empty_and_includes_the_engine_and_dsp():
    assert {"acd_core.g711", "acd_core.dtmf._receiver"} <= set(COMPILED)
    assert any(m.startswith("acd_core.acd.") for m in COMPILED)


@pytest.mark.parametrize("modname", COMPILED)
def test_every_module_with_a_pxd_loads_compiled(modname):
    assert is_compiled(load(modname, "compiled")), modname


def test_no_module_of_the_pure_variant_is_an_extension_module():
    for modname in EVERY:
        load(modname, "pure")
    loaded = pure_variant_modules()
    assert {pure_name(m) for m in EVERY} <= set(loaded)
    for name, module in loaded.items():
        assert not is_compiled(module), (name, module.__file__)
        # and nothing it holds (functions, classes, modules) comes from compiled acd_core
        for attr, value in vars(module).items():
            where = value.__name__ if isinstance(value, ModuleType) else \
                getattr(value, "__module__", None) or ""
            if where.split(".")[0] == "acd_core":
                assert not is_compiled(sys.modules[where]), f"{name}.{attr} comes from {where}"


def test_modules_with_a_compiled_build_and_their_importers_are_copies():
    copied = copied_modules()
    assert set(COMPILED) <= copied
    # importers of compiled modules, and the packages above them
    assert {"acd_core", "acd_core.acd", "acd_core.dtmf", "acd_core.callerid.receiver",
            "acd_core.kpi"} <= copied
    for modname in copied:
        module = load(modname, "pure")
        assert module.__name__ == pure_name(modname)
        assert module is not importlib.import_module(modname)


def test_pure_modules_decode_g711_with_the_pure_g711():
    receiver = load("acd_core.callerid.receiver", "pure")
    assert receiver.alaw_to_linear.__module__ == f"{PURE}.g711"
    assert not is_compiled(sys.modules[f"{PURE}.g711"])
    rx = load("acd_core.dtmf._receiver", "pure")
    assert rx.ALAW_DECODE is sys.modules[f"{PURE}.g711"].ALAW_DECODE


def test_the_vocabulary_is_shared_by_both_builds():
    """Events, decisions and errors are one set of classes, so decisions of both
    builds compare equal and errors are caught with the real classes."""
    from acd_core import errors
    from acd_core.acd import model
    assert "acd_core.acd.model" not in copied_modules()
    assert sys.modules[pure_name("acd_core.acd.model")] is model
    assert sys.modules[pure_name("acd_core.errors")] is errors
    assert model.__spec__.name == "acd_core.acd.model"       # the alias left the real one alone
    import acd_core
    assert acd_core.acd is sys.modules["acd_core.acd"]      # no pure module on a real parent
