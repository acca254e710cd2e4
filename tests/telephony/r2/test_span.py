"""Our stack back to back on one manual clock: timers, glare, blocking, commands at odd moments.

(The interop proof is against libopenr2 in test_libopenr2.py; here both ends are
ours, to reach what a peer process will not do on demand.)
"""
import pytest

from firmware.telephony.r2 import (Accepted, Answered, Blocked, ClearedForward, IncomingCall,
                                   LineFailure, NoFreeCircuit, R2ConfigError, R2Error, Refused,
                                   Released, State, Unblocked, variant)
from tests.telephony.r2.wire import Wire


def offered(w: Wire, dnis="100", ani: str | None = "5551234", **kw) -> IncomingCall:
    w.a.place_call(dnis, ani, **kw)
    return w.until("b", IncomingCall)


@pytest.mark.parametrize("name", ["CN", "ITU"])
def test_back_to_back_call(name, transcript):
    w = Wire(variant(name), transcript=transcript, max_dnis=3)
    call = offered(w)
    assert (call.dnis, call.ani) == ("100", "5551234")
    w.b.accept(1)
    assert w.until("a", Accepted).group_b == "free_charge"
    w.b.answer(1)
    w.until("a", Answered)
    w.a.hangup(1)
    w.until("b", ClearedForward)
    ra, rb = w.until("a", Released).summary, w.until("b", Released).summary
    assert (ra.cleared_by, rb.cleared_by, ra.cause, rb.cause) == ("local", "remote", "normal",
                                                                   "normal")
    assert w.a.state(1) is State.IDLE and w.b.state(1) is State.IDLE


def test_restricted_calling_number_is_sent_as_such(transcript):
    w = Wire(variant("ITU"), transcript=transcript, max_dnis=3)
    call = offered(w, ani=None)
    assert (call.ani, call.ani_restricted) == ("", True)


def test_no_seize_acknowledgement_clears_after_the_timer(transcript):
    w = Wire(variant("CN"), transcript=transcript)
    w.b.line_down(1, "test: far end deaf")
    w.a.place_call("100", "1")
    summary = w.until("a", Released, seconds=10).summary
    assert (summary.cause, summary.cleared_by) == ("seize_ack_timeout", "timer")
    assert summary.ended - summary.seized == pytest.approx(8.0, abs=0.05)
    assert w.a.state(1) is State.IDLE


def test_far_end_that_stops_answering_mf_fails_both_sides_cleanly(transcript):
    w = Wire(variant("ITU"), transcript=transcript)
    w.mute["a"] = w.mute["b"] = True
    w.a.place_call("100", "1")
    ra = w.until("a", Released, seconds=20).summary
    rb = w.until("b", Released, seconds=1).summary
    assert (ra.cause, ra.cleared_by, rb.cause) == ("mf_failure", "timer", "mf_failure")
    assert ra.ended - ra.seized == pytest.approx(15.0, abs=0.1)


def test_backward_mf_timeout_sends_congestion_and_the_caller_is_refused(transcript):
    w = Wire(variant("CN"), transcript=transcript)
    w.mute["b"] = True                   # the called side hears nothing, the caller hears it
    w.a.place_call("100", "1")
    assert w.until("a", Refused, seconds=10).reason == "congestion"
    assert w.until("b", Released, seconds=1).summary.cause == "mf_failure"


def test_double_seizure_backs_off_both_ends(transcript):
    w = Wire(variant("ITU"), transcript=transcript)
    w.a.place_call("100", "1", ts=1)
    w.b.place_call("200", "2", ts=1)
    ra, rb = w.until("a", Released).summary, w.until("b", Released).summary
    assert ra.cause == rb.cause == "double_seizure"
    w.step(3)
    assert w.a.state(1) is State.IDLE and w.b.state(1) is State.IDLE


def test_unanswered_call_is_cleared_forward_after_the_answer_timer(transcript):
    w = Wire(variant("CN"), transcript=transcript, max_dnis=3)
    offered(w)
    w.b.accept(1)
    w.until("a", Accepted)
    summary = w.until("a", Released, seconds=70).summary
    assert (summary.cause, summary.cleared_by) == ("no_answer", "timer")
    w.until("b", ClearedForward)


def test_block_during_a_call_waits_for_the_end_of_the_call(transcript):
    w = Wire(variant("CN"), transcript=transcript, max_dnis=3)
    offered(w)
    w.b.accept(1)
    w.b.answer(1)
    w.until("a", Answered)
    w.b.block(1)
    assert w.b.state(1) is State.IN_ANSWERED
    w.a.hangup(1)
    w.until("b", Released)
    w.until("a", Released)                # the far end saw our idle (release guard) ...
    w.until("a", Blocked)                 # ... before the blocking
    assert w.b.state(1) is State.BLOCKED_LOCAL
    with pytest.raises(NoFreeCircuit):
        w.a.place_call("100", "1")
    w.b.unblock(1)
    w.until("a", Unblocked)
    assert w.a.state(1) is State.IDLE and w.b.state(1) is State.IDLE


def test_unblock_during_the_release_guard_drops_the_pending_block(transcript):
    w = Wire(variant("ITU"), transcript=transcript, max_dnis=3)
    offered(w)
    w.b.accept(1)
    w.b.answer(1)
    w.until("a", Answered)
    w.b.block(1)
    w.a.hangup(1)
    w.until("b", Released)                # the release guard runs from here ...
    w.b.unblock(1)                        # ... and the admin changed their mind
    w.step(20)                            # 400 ms: well past the 100 ms guard
    assert w.b.state(1) is State.IDLE and w.a.state(1) is State.IDLE
    assert not w.of("a", Blocked), w.events["a"]


def test_a_seize_on_a_blocked_timeslot_is_not_acknowledged(transcript):
    w = Wire(variant("ITU"), transcript=transcript)
    w.b.block(1)
    w.step(2)
    assert w.a.state(1) is State.BLOCKED_REMOTE
    with pytest.raises(R2Error, match="far end is not idle"):
        w.a.place_call("100", "1", ts=1)


def test_admin_block_while_out_of_service_applies_when_the_line_returns(transcript):
    w = Wire(variant("ITU"), transcript=transcript)
    w.a.line_down(1, "test")
    assert w.of("a", LineFailure)[0].reason == "test"
    w.a.block(1)
    assert w.a.state(1) is State.OUT_OF_SERVICE
    w.a.line_up(1)
    assert w.a.state(1) is State.BLOCKED_LOCAL


def test_commands_are_checked(transcript):
    w = Wire(variant("ITU"), transcript=transcript, max_dnis=3)
    with pytest.raises(R2Error, match="one or more digits"):
        w.a.place_call("12A", "1")
    with pytest.raises(R2ConfigError, match="no calling party category"):
        w.a.place_call("100", "1", category="gold")
    offered(w)
    with pytest.raises(R2ConfigError, match="not a group B accept signal"):
        w.b.accept(1, "busy")
    with pytest.raises(R2ConfigError, match="not a group B refusal"):
        w.b.refuse(1, "free_charge")
    with pytest.raises(R2Error, match="no R2 timeslot 5"):
        w.b.answer(5)
    w.b.refuse(1, "out_of_order")
    assert w.until("a", Refused).reason == "out_of_order"


def test_a_failing_event_handler_does_not_stop_the_line(transcript):
    w = Wire(variant("ITU"), transcript=transcript, max_dnis=3)
    seen = []

    def handler(event):
        seen.append(event)
        raise RuntimeError("flow bug")
    w.b.on_event = handler
    w.a.place_call("100", "1")
    w.step(60)
    assert any(isinstance(e, IncomingCall) for e in seen)
    assert w.b.state(1) is State.IN_OFFERED


def test_describe_lists_each_timeslot(transcript):
    w = Wire(variant("CN"), transcript=transcript, timeslots=(1, 2))
    rows = w.a.describe()
    assert [r["ts"] for r in rows] == [1, 2]
    assert rows[0]["state"] == "IDLE" and rows[0]["tx_abcd"] == "1011"
