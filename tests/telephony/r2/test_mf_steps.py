"""Every interregister step against libopenr2 is compelled; a step takes 40-100 ms of line time."""
import pytest

from firmware.telephony.r2 import Accepted, IncomingCall
from tests.telephony.r2.steps import compelled_steps, far_end_reactions, periods, summary
from tests.telephony.r2.test_libopenr2 import ANI, DNIS

# first digit, category, the calling number, its end, the rest of the address, group II-B
SETUP_STEPS = 1 + 1 + len(ANI) + 1 + (len(DNIS) - 1) + 1
FRAME = 0.020


@pytest.mark.parametrize("name", ["CN", "ITU"])
def test_steps_both_ways_are_compelled_and_paced_by_the_far_end(r2line, name):
    line = r2line(name, peer_calls=True)
    line.peer.command("make_call", ts=1, ani=ANI, dnis=DNIS, category="national_subscriber")
    line.wait(IncomingCall, 1)
    line.span.accept(1)
    line.step.peer_event("call_accepted", 1)
    inbound = compelled_steps(line.transcript, 1, we_send_first=False)

    out = r2line(name)
    out.transcript.clear()
    out.span.place_call(DNIS, ANI)
    out.step.peer_event("call_offered", 1)
    out.peer.command("accept", ts=1)
    out.wait(Accepted, 1)
    outbound = compelled_steps(out.transcript, 1, we_send_first=True)

    eps = 1e-9
    assert len(inbound) == len(outbound) == SETUP_STEPS
    for s in outbound:        # we hold our tone until the answer, drop it at once
        assert s.t_on < s.t_ack == s.t_off < s.t_end, s
    for s in inbound:         # we answer at once, hold until their tone ends
        assert s.t_on == s.t_ack < s.t_off == s.t_end, s
    for p in periods(inbound) + periods(outbound):
        assert 2 * FRAME - eps <= p <= 0.100 + eps
    reactions = far_end_reactions(inbound) + far_end_reactions(outbound)
    assert all(r >= FRAME - eps for r in reactions), reactions
    print(f"\n  {name} libopenr2 calls us: {summary(inbound)}"       # pytest -s shows it
          f"\n  {name} we call libopenr2: {summary(outbound)}")
