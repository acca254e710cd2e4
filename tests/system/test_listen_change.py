"""The confirm-or-revert state machine of a listen change, on a manual clock.

The composition root's effects (restarting Kamailio, binding a web server) are the
``Switch`` given to ``ListenChange``; here a recorder stands in for them, so what is
checked is the machine: the file written and put back byte for byte, the pending state
stored before anything moves, the window from the timer table, who may confirm, and
the audit trail. The real effects are exercised through the daemon in
``test_listen_change_box.py``.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from acd_core.clock import ManualClock
from firmware import config
from firmware.config_edit import previous_path
from firmware.errors import IllegalTransition, ListenError
from firmware.listen_change import (PENDING_FILE, STATES, TRANSITIONS, Listen, ListenChange,
                                    recover)
from firmware.timers import TIMERS

ORIGINAL = ('# the box\n[paths]\nvar = "var"\n\n[sip]\nlisten = "127.0.0.1"  # phones\n'
            'port = 5060\n\n[web]\nlisten = "127.0.0.1"\nport = 8080\n')
NEW = Listen("127.0.0.2", 8081, "127.0.0.2", 5062)


class Recorder:
    """Stands in for ``ListenEffects`` (firmware/listen_effects.py) and records the calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_on: Listen | None = None
        self.busy = False

    def refuse(self, to: Listen) -> None:
        if self.busy:
            raise ListenError("sip_listen: 2 call legs are up", "sip_listen", status=409)

    async def switch(self, to: Listen) -> None:
        self.calls.append(("switch", to))
        if to == self.fail_on:
            raise OSError("cannot bind")

    async def settle(self) -> None:
        self.calls.append(("settle", None))


class Box:
    def __init__(self, tmp: Path, window: float | None = None) -> None:
        self.path = tmp / "callbox.toml"
        text = ORIGINAL if window is None else ORIGINAL + f"listen_confirm_s = {window}\n"
        self.path.write_text(text)
        self.text = text
        self.cfg = config.load(self.path)
        self.clock = ManualClock()
        self.effects = Recorder()
        self.audit: list[tuple[str, str, str, dict[str, Any]]] = []
        self.change = ListenChange(self.clock, self.cfg, self.path, self.effects, self._audit)

    async def _audit(self, action: str, user: str, role: str, detail: dict[str, Any]) -> None:
        self.audit.append((action, user, role, detail))

    @property
    def pending_file(self) -> Path:
        return self.cfg.var_dir / PENDING_FILE


def test_every_state_has_a_row_and_every_row_names_known_states() -> None:
    assert {s for s, _ in TRANSITIONS} == set(STATES)
    assert set(TRANSITIONS.values()) <= set(STATES)


async def test_a_change_confirmed_from_the_new_address_is_kept(tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    pending = await box.change.apply(NEW, "alice", "admin")
    assert box.change.state == "pending"
    assert pending.deadline == box.clock.wall() + TIMERS["system.listen_confirm"]
    assert box.effects.calls == [("switch", NEW)]
    cfg = config.load(box.path)
    assert Listen.from_config(cfg) == NEW
    assert previous_path(box.path).read_text() == ORIGINAL
    assert "# phones" in box.path.read_text()
    stored = json.loads(box.pending_file.read_text())
    assert stored["previous_text"] == ORIGINAL and stored["new"]["web_port"] == 8081

    with pytest.raises(ListenError) as err:          # from the old address: not a proof
        await box.change.confirm("127.0.0.1:8080", "alice", "admin")
    assert err.value.context["field"] == "confirm" and err.value.status == 409
    assert box.change.state == "pending"

    await box.change.confirm("127.0.0.2:8081", "alice", "admin")
    assert box.change.state == "steady" and box.change.current == NEW
    assert not box.pending_file.exists()
    assert box.effects.calls[-1] == ("settle", None)
    box.clock.advance(TIMERS["system.listen_confirm"] * 2)     # the timer is gone
    await box.change.settled()
    assert Listen.from_config(config.load(box.path)) == NEW
    assert [a[0] for a in box.audit] == ["system.listen_change", "system.listen_confirm"]
    assert box.audit[0][3]["to"]["sip_port"] == 5062


async def test_no_confirmation_within_the_window_goes_back_by_itself(tmp_path: Path) -> None:
    box = Box(tmp_path, window=30)
    box.cfg.var_dir.mkdir()
    previous = box.change.current
    await box.change.apply(NEW, "alice", "admin")
    box.clock.advance(29.9)
    await box.change.settled()
    assert box.change.state == "pending"
    box.clock.advance(0.1)
    await box.change.settled()
    assert box.change.state == "steady" and box.change.current == previous
    assert box.path.read_text() == box.text                 # byte for byte
    assert box.effects.calls == [("switch", NEW), ("switch", previous)]
    assert not box.pending_file.exists()
    action, user, role, detail = box.audit[-1]
    assert (action, user, role, detail["reason"]) == (
        "system.listen_revert", "system:listen-change", "system", "expire")


async def test_the_admin_may_go_back_before_the_window_ends(tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    await box.change.apply(NEW, "alice", "admin")
    await box.change.revert("bob", "admin")
    assert box.path.read_text() == ORIGINAL and box.change.state == "steady"
    assert box.audit[-1][:2] == ("system.listen_revert", "bob")
    with pytest.raises(ListenError, match="no listen change is waiting"):
        await box.change.revert("bob", "admin")


async def test_a_second_change_waits_for_the_first(tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    await box.change.apply(NEW, "alice", "admin")
    with pytest.raises(ListenError, match="waiting for its confirmation from http://127.0.0.2:8081"):
        await box.change.apply(Listen("127.0.0.3", 8082, "127.0.0.3", 5063), "bob", "admin")
    with pytest.raises(IllegalTransition):
        box.change._transition("apply")


async def test_a_switch_that_fails_puts_everything_back_at_once(tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    box.effects.fail_on = NEW
    with pytest.raises(ListenError, match="could not serve on the new addresses"):
        await box.change.apply(NEW, "alice", "admin")
    assert box.path.read_text() == ORIGINAL and box.change.state == "steady"
    assert not box.pending_file.exists()
    assert box.audit[-1][3]["reason"] == "failed"


async def test_a_refused_change_writes_nothing(tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    box.effects.busy = True
    with pytest.raises(ListenError, match="call legs are up"):
        await box.change.apply(NEW, "alice", "admin")
    assert box.path.read_text() == ORIGINAL and not previous_path(box.path).exists()
    assert not box.pending_file.exists() and box.effects.calls == [] and box.audit == []


async def test_a_box_without_a_config_file_says_so(tmp_path: Path) -> None:
    box = Box(tmp_path)
    change = ListenChange(box.clock, box.cfg, None, box.effects, box._audit)
    assert "built-in defaults" in (change.refusal() or "")
    with pytest.raises(ListenError, match="--config"):
        await change.apply(NEW, "alice", "admin")


async def test_a_daemon_that_stopped_inside_the_window_goes_back_at_its_next_start(
        tmp_path: Path) -> None:
    box = Box(tmp_path)
    box.cfg.var_dir.mkdir()
    await box.change.apply(NEW, "alice", "admin")
    box.change.close()                                   # the daemon stops (or dies) here
    assert Listen.from_config(config.load(box.path)) == NEW
    found = recover(box.cfg.var_dir, box.path)           # the next start, before loading
    assert found is not None and found.new == NEW and found.by == "alice"
    assert box.path.read_text() == ORIGINAL
    assert not box.pending_file.exists()
    assert recover(box.cfg.var_dir, box.path) is None


def test_the_window_is_a_config_key_bounded_by_the_timer_table(tmp_path: Path) -> None:
    path = tmp_path / "callbox.toml"
    path.write_text("[web]\nlisten_confirm_s = 2\n")
    with pytest.raises(config.ConfigError, match="web.listen_confirm_s: expected a number of "
                                                 "seconds 5-900, got 2"):
        config.load(path)
    assert config.load(None).web.listen_confirm_s == TIMERS["system.listen_confirm"]
