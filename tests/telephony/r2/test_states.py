"""The R2 circuit's transition table: complete, closed, and every action carried out."""
import logging

import pytest

from acd_core.errors import IllegalTransition
from firmware.telephony.r2 import events, variant
from firmware.telephony.r2.circuit import ACTION_VERBS, ACTIONS
from firmware.telephony.r2.states import CALL_STATES, IN_SERVICE, RX_EVENTS, TABLE, State, row
from firmware.telephony.r2.variants import LINE_AB
from tests.telephony.r2.wire import Wire

COMMANDS = ("place", "accept", "refuse", "answer", "hangup", "block", "unblock")


def test_every_state_has_a_row():
    assert set(TABLE) == set(State)
    for state in State:
        assert TABLE[state], state
        assert state.text


def test_every_row_goes_to_a_state_and_names_known_actions():
    for state, rows in TABLE.items():
        for event, r in rows.items():
            assert isinstance(r.next, State), (state, event)
            for action in r.actions:
                verb = action.split(" ", 1)[0]
                assert action in ACTIONS or verb in ACTION_VERBS, (state, event, action)
                if verb == "emit":
                    assert hasattr(events, action.split(" ", 1)[1]), action
                if verb == "send":
                    assert action.split(" ", 1)[1] in LINE_AB, action
                if verb == "start":
                    variant("ITU").timers[action.split(" ", 1)[1]]


def test_line_failure_and_unexpected_bits_are_handled_in_every_state_in_service():
    for state in IN_SERVICE:
        assert TABLE[state]["line down"].next is State.OUT_OF_SERVICE
        assert TABLE[state]["rx unexpected"].next is state
    for state in CALL_STATES:
        assert "release" in TABLE[state]["line down"].actions, state


def test_a_call_ends_with_exactly_one_release_on_every_path_to_idle():
    for state in CALL_STATES:
        for event, r in TABLE[state].items():
            if r.next in (State.IDLE, State.OUT_OF_SERVICE):
                assert r.actions.count("release") == 1, (state, event)


def test_received_bits_map_to_events():
    assert set(RX_EVENTS) == {0b00, 0b01, 0b10, 0b11}


def test_a_command_with_no_row_raises_naming_state_and_command(transcript):
    with pytest.raises(IllegalTransition, match="IDLE has no transition for 'answer'") as info:
        row(State.IDLE, "answer", span=1, ts=7)
    assert (info.value.state, info.value.event, info.value.ts) == ("IDLE", "answer", 7)
    w = Wire(variant("ITU"), transcript=transcript)
    with pytest.raises(IllegalTransition, match="'accept'"):
        w.a.accept(1)
    assert w.a.state(1) is State.IDLE


def test_each_change_logs_one_line(caplog, transcript):
    w = Wire(variant("CN"), transcript=transcript)
    with caplog.at_level(logging.INFO, logger="firmware.telephony.r2.circuit"):
        w.a.block(1)
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["r2 span=1 ts=1: IDLE -> BLOCKED_LOCAL (block) [send blocked]"]
