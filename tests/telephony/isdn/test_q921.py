"""Q.921 link procedures on a ManualClock: exact T200/T203/N200 behaviour, both roles."""
from __future__ import annotations

import logging

import pytest

from acd_core.clock import ManualClock
from acd_core.errors import IllegalTransition
from firmware.telephony.isdn.lapd import Kind, LapdFrame, command_cr
from firmware.telephony.isdn.q921 import EVENTS, STATES, TABLE, L2State, Q921Link

S4, S5, S7, S8 = (L2State.TEI_ASSIGNED, L2State.AWAITING_ESTABLISHMENT,
                  L2State.MULTIPLE_FRAME_ESTABLISHED, L2State.TIMER_RECOVERY)


class Upper:
    def __init__(self) -> None:
        self.log: list[tuple[str, object]] = []
        self.reply: bytes | None = None
        self.link: Q921Link | None = None

    def dl_established(self, confirm: bool) -> None:
        self.log.append(("up", confirm))

    def dl_released(self, confirm: bool) -> None:
        self.log.append(("down", confirm))

    def dl_data(self, payload: bytes) -> None:
        self.log.append(("data", payload))
        if self.reply is not None and self.link is not None:
            self.link.send(self.reply)


class Side:
    """Our link plus helpers that speak as the far end (the other role)."""

    def __init__(self, role: str = "user") -> None:
        self.clock = ManualClock()
        self.out: list[LapdFrame] = []
        self.times: list[float] = []
        self.link = Q921Link(role, self.clock, self._sent, name="ours")
        self.upper = Upper()
        self.upper.link = self.link
        self.link.bind(self.upper)
        self.peer = self.link.role.peer

    def _sent(self, data: bytes) -> None:
        self.out.append(LapdFrame.parse(data))
        self.times.append(self.clock.now())

    def cmd(self, kind: Kind, pf: bool = False, **kw: object) -> None:
        self.link.receive(bytes(LapdFrame(kind, cr=command_cr(self.peer, True), pf=pf, **kw)))

    def resp(self, kind: Kind, pf: bool = False, **kw: object) -> None:
        self.link.receive(bytes(LapdFrame(kind, cr=command_cr(self.peer, False), pf=pf, **kw)))

    def take(self) -> list[LapdFrame]:
        out, self.out = self.out, []
        return out

    def established(self) -> "Side":
        self.cmd(Kind.SABME, True)
        self.take()
        self.upper.log.clear()
        return self


@pytest.mark.parametrize("role", ["user", "network"])
def test_sabme_ua_from_our_side(role):
    s = Side(role)
    s.link.start()
    [sabme] = s.take()
    assert sabme.kind is Kind.SABME and sabme.pf and sabme.cr == command_cr(s.link.role, True)
    assert bytes(sabme) == (b"\x00\x01\x7f" if role == "user" else b"\x02\x01\x7f")
    assert s.link.state is S5 and s.link.t200_running
    s.resp(Kind.UA, True)
    assert s.link.state is S7 and s.upper.log == [("up", True)]
    assert s.link.t203_running and not s.link.t200_running


@pytest.mark.parametrize("role", ["user", "network"])
def test_sabme_from_the_far_end_is_answered_with_ua(role):
    s = Side(role)
    s.cmd(Kind.SABME, True)
    [ua] = s.take()
    assert ua.kind is Kind.UA and ua.pf and ua.cr == command_cr(s.link.role, False)
    assert s.link.state is S7 and s.upper.log == [("up", False)]


def test_sabme_collision_answers_then_waits_for_its_own_ua():
    s = Side()
    s.link.start()
    s.take()
    s.cmd(Kind.SABME, True)
    assert [f.kind for f in s.take()] == [Kind.UA] and s.link.state is S5
    s.resp(Kind.UA, True)
    assert s.link.state is S7 and s.upper.log == [("up", True)]


def test_sabme_is_repeated_every_t200_and_given_up_after_n200():
    s = Side()
    s.link.start()
    s.clock.advance(10.0)
    assert [f.kind for f in s.out] == [Kind.SABME] * 4
    assert s.times == [0.0, 1.0, 2.0, 3.0]
    assert s.link.state is S4 and s.upper.log == [("down", False)]
    assert s.link.counters.mdl_errors == {"G": 1}


def test_i_frames_are_numbered_acknowledged_and_delivered():
    s = Side().established()
    s.link.send(b"\x08hello")
    [i0] = s.take()
    assert (i0.kind, i0.ns, i0.nr, i0.pf, i0.info) == (Kind.I, 0, 0, False, b"\x08hello")
    assert s.link.t200_running and not s.link.t203_running
    s.resp(Kind.RR, nr=1)
    assert not s.link.t200_running and s.link.t203_running and s.link.va == 1
    s.cmd(Kind.I, ns=0, nr=1, info=b"\x08peer")
    assert s.upper.log == [("data", b"\x08peer")]
    [rr] = s.take()
    assert (rr.kind, rr.nr, rr.pf) == (Kind.RR, 1, False)


def test_an_answer_sent_from_dl_data_acknowledges_instead_of_an_rr():
    s = Side().established()
    s.upper.reply = b"\x08answer"
    s.cmd(Kind.I, ns=0, nr=0, info=b"\x08question")
    [i] = s.take()
    assert (i.kind, i.nr, i.info) == (Kind.I, 1, b"\x08answer")


def test_polled_i_frame_gets_an_rr_with_final():
    s = Side().established()
    s.cmd(Kind.I, True, ns=0, nr=0, info=b"\x08x")
    [rr] = s.take()
    assert (rr.kind, rr.nr, rr.pf) == (Kind.RR, 1, True)


def test_t203_polls_an_idle_link_after_exactly_10_s():
    s = Side().established()
    s.clock.advance(9.999)
    assert s.take() == []
    s.clock.advance(0.001)
    [rr] = s.take()
    assert (rr.kind, rr.pf, rr.cr) == (Kind.RR, True, command_cr(s.link.role, True))
    assert s.link.state is S8
    s.resp(Kind.RR, True, nr=0)
    assert s.link.state is S7 and s.link.t203_running


def test_t200_retransmits_the_last_i_frame_with_poll_then_recovers():
    s = Side().established()
    s.link.send(b"\x08a")
    s.take()
    s.clock.advance(1.0)
    [again] = s.take()
    assert (again.kind, again.ns, again.pf, again.info) == (Kind.I, 0, True, b"\x08a")
    assert s.link.state is S8 and s.link.counters.retransmissions == 1
    s.resp(Kind.RR, True, nr=1)
    assert s.link.state is S7 and s.link.va == 1 and not s.link._outstanding


def test_silent_peer_link_is_reestablished_then_released_after_n200_twice():
    s = Side().established()
    s.link.send(b"\x08a")
    s.take()
    s.clock.advance(4.0)
    kinds = [f.kind for f in s.take()]
    assert kinds == [Kind.I, Kind.I, Kind.I, Kind.SABME]    # 3 retries, then re-establish
    assert s.link.state is S5 and s.upper.log == []
    s.clock.advance(3.999)
    assert s.link.state is S5
    s.clock.advance(0.001)
    assert s.link.state is S4 and s.upper.log == [("down", False)]
    assert s.link.counters.mdl_errors == {"I": 1, "G": 1}


def test_window_of_seven_then_the_rest_after_the_acknowledgement():
    s = Side().established()
    for n in range(9):
        s.link.send(bytes([8, n]))
    assert [f.ns for f in s.take()] == list(range(7))
    s.resp(Kind.RR, nr=3)
    assert [f.ns for f in s.take()] == [7, 8]


def test_rej_makes_us_resend_from_its_nr():
    s = Side().established()
    for n in range(3):
        s.link.send(bytes([8, n]))
    s.take()
    s.resp(Kind.REJ, nr=1)
    assert [(f.ns, f.info) for f in s.take()] == [(1, b"\x08\x01"), (2, b"\x08\x02")]


def test_out_of_sequence_i_frame_is_rejected_once_and_not_delivered():
    s = Side().established()
    s.cmd(Kind.I, ns=1, nr=0, info=b"\x08late")
    s.cmd(Kind.I, ns=2, nr=0, info=b"\x08later")
    assert [(f.kind, f.nr) for f in s.take()] == [(Kind.REJ, 0)]
    assert s.upper.log == []
    s.cmd(Kind.I, ns=0, nr=0, info=b"\x08first")
    assert s.upper.log == [("data", b"\x08first")]


def test_rnr_holds_our_i_frames_until_rr():
    s = Side().established()
    s.resp(Kind.RNR, nr=0)
    s.link.send(b"\x08wait")
    assert s.take() == [] and s.link.peer_busy
    s.resp(Kind.RR, nr=0)
    assert [f.info for f in s.take()] == [b"\x08wait"]


def test_disc_releases_with_ua_and_indication():
    s = Side().established()
    s.cmd(Kind.DISC, True)
    [ua] = s.take()
    assert ua.kind is Kind.UA and ua.pf and s.link.state is S4
    assert s.upper.log == [("down", False)]


def test_our_release_is_disc_then_confirmation():
    s = Side().established()
    s.link.stop()
    [disc] = s.take()
    assert disc.kind is Kind.DISC and disc.pf
    s.resp(Kind.UA, True)
    assert s.link.state is S4 and s.upper.log == [("down", True)]


def test_dm_without_final_in_established_state_reestablishes():
    s = Side().established()
    s.resp(Kind.DM, False)
    assert [f.kind for f in s.take()] == [Kind.SABME] and s.link.state is S5
    assert s.link.counters.mdl_errors == {"E": 1}


def test_nr_outside_the_window_reestablishes():
    s = Side().established()
    s.resp(Kind.RR, nr=5)
    assert s.link.state is S5 and s.link.counters.mdl_errors == {"J": 1}


def test_frames_with_wrong_command_response_bit_or_address_are_discarded():
    s = Side()
    s.resp(Kind.SABME, True)                           # a SABME must be a command
    s.link.receive(bytes(LapdFrame(Kind.SABME, sapi=63, cr=1, pf=True)))
    s.link.receive(bytes(LapdFrame(Kind.SABME, tei=5, cr=1, pf=True)))
    assert s.take() == [] and s.link.state is S4 and s.link.counters.discarded == 3


def test_undecodable_frames_are_counted_and_logged_not_raised(caplog):
    s = Side()
    with caplog.at_level(logging.WARNING):
        s.link.receive(b"\x01\x01\x7f")
        s.link.receive(b"\x00")
    assert s.link.counters.decode_errors == 2
    assert "address extension bits wrong" in caplog.text


def test_layer1_loss_releases_at_once():
    s = Side().established()
    s.link.layer1_down()
    assert s.link.state is S4 and s.upper.log == [("down", False)]
    assert not s.link.t203_running


def test_a_commanded_frame_in_tei_assigned_state_gets_dm():
    s = Side()
    s.cmd(Kind.RR, True, nr=0)
    [dm] = s.take()
    assert dm.kind is Kind.DM and dm.pf


def test_state_change_is_logged_with_both_states_and_the_actions(caplog):
    s = Side()
    with caplog.at_level(logging.INFO, logger="firmware.telephony.isdn.q921"):
        s.link.start()
    assert ("ours: 4 tei-assigned -> 5 awaiting-establishment (DL-ESTABLISH-REQ: "
            "clear exceptions, RC=0, send SABME") in caplog.text


def test_every_state_has_a_row_for_every_event():
    missing = [(st, ev) for st in STATES for ev in EVENTS if (st, ev) not in TABLE]
    assert missing == [(S7, "T200 N200")], "T200 N200 cannot happen in state 7"
    for state in STATES:
        assert any(k[0] is state for k in TABLE)


def test_an_event_without_a_row_raises_illegal_transition():
    s = Side()
    with pytest.raises(IllegalTransition, match="no row for T200 N200 in state 7") as info:
        s.link.state = S7
        s.link.transition("T200 N200")
    assert info.value.link == "ours" and info.value.event == "T200 N200"
