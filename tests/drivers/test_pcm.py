"""Analog audio on the simulated TDM highway, decoded by the independent receivers.

The board is the simulated one (framer, cable, DAAs on PSTN lines, ProSLICs with
phones), brought up by the drivers as the self-test does (timeslot 32 + port);
the test reads whole frames through the ``TdmStream`` interface, takes the
port's byte of each frame, and hands the A-law to ``acd_core``'s receivers
(``CallerIdReceiver``, ``DtmfCallerIdReceiver``, ``DtmfDetector``,
``ProgressDetector``) - none of which the simulator uses. Time is a ManualClock.
"""
import pytest

from acd_core.callerid import CallerIdReceiver, DtmfCallerIdReceiver
from acd_core.clock import ManualClock
from acd_core.dtmf import DtmfDetector
from acd_core.g711 import alaw_to_linear
from acd_core.progress import ProgressDetector
from drivers.board_profile import build
from drivers.bus.tdm import E1_SLOTS, TdmStream
from drivers.sim.fxo_line import CallerId
from drivers.sim.pcm import AnalogTdmSim, AudioTimeline, Gate, sample_at
from drivers.sim.runner import run

RATE = 8000
SILENT = 0xD5


class Card:
    """A sim board whose TDM stream carries the analog ports' audio."""

    def __init__(self, zone="EU", country="TBR21"):
        self.clock = ManualClock()
        self.board = build("sim", self.clock, zone=zone, fxo_country=country)
        w = self.board.sim
        self.lines, self.daas, self.phones = w.fxo_lines, w.daas, w.phones
        self.tdm: TdmStream = self.board.tdm       # the sim board's own stream
        assert isinstance(self.tdm, AnalogTdmSim)
        self.fxo, self.fxs = self.board.fxo, self.board.fxs
        self.slots = [bytearray() for _ in range(len(w.daas) + len(w.slics))]
        self.t0: float | None = None

    def bring_up(self):
        for n, daa in enumerate(self.fxo, 1):
            daa.bring_up(timeslot=E1_SLOTS + n - 1)
        for n, slic in enumerate(self.fxs, 1):
            slic.bring_up(timeslot=E1_SLOTS + len(self.fxo) + n - 1)
        self.start_recording()

    def start_recording(self):
        self.tdm.read_frames(1 << 20)                        # drop the backlog
        self.t0 = self.board.sim.cable.synced_until          # the next frame starts here
        for s in self.slots:
            s.clear()

    def run(self, seconds, chunk=0.1):
        """Let time pass with the drivers polling; keep every frame's analog bytes."""
        end = self.clock.now() + seconds
        while self.clock.now() < end - 1e-9:
            run(self.clock, min(chunk, end - self.clock.now()), [*self.fxo, *self.fxs])
            for frame in self.tdm.read_frames(1 << 20):
                assert len(frame) == self.tdm.frame_size
                for i, s in enumerate(self.slots):
                    s.append(frame[E1_SLOTS + i])

    def audible(self, port):
        """(first, last) time of non-silent audio in a port's timeslot."""
        pcm = memoryview(alaw_to_linear(bytes(self.slots[port]))).cast("h")
        loud = [i for i, v in enumerate(pcm) if abs(v) > 64]
        assert loud, f"timeslot of port {port} is silent"
        return self.t0 + loud[0] / RATE, self.t0 + (loud[-1] + 1) / RATE


@pytest.fixture
def card():
    c = Card()
    c.bring_up()
    return c


def ring_times(card, port=0):
    return ([t for t, k in card.fxo[port].events if k == "ring"],
            [t for t, k in card.fxo[port].events if k == "ring_end"])


# ------------------------------------------------------------------ FXO: FSK caller ID
@pytest.mark.parametrize("zone, country, standard", [("EU", "TBR21", "v23"), ("US", "FCC", "bell202")])
def test_fsk_caller_id_between_rings_decoded_by_callerid_receiver(zone, country, standard):
    card = Card(zone, country)
    card.bring_up()
    t_call = card.clock.now()
    card.lines[0].call(CallerId("5551234", "ALICE SMITH", "11271430"))
    on, off = card.lines[0].cadence
    card.run(on + off + 0.3)                                # into the second ring
    got = CallerIdReceiver(standard).process_alaw(bytes(card.slots[0]))
    assert len(got) == 1
    msg = got[0][1]
    assert (msg.number, msg.name, msg.date_time) == ("5551234", "ALICE SMITH", "11271430")
    # inside the first silent interval: >= 500 ms after ring 1, >= 200 ms before ring 2
    start, end = card.audible(0)
    assert start >= t_call + on + 0.5 - 1e-9
    assert end <= t_call + on + off - 0.2 + 1e-9
    # and the driver saw it that way round: ring, ring end, audio, next ring
    rings, ends = ring_times(card)
    assert len(rings) == 2 and ends[0] < start and end < rings[1]
    # ring end = last ring-detect change (within one half-wave of the end) + 128 ms
    assert ends[0] - 0.128 == pytest.approx(t_call + on, abs=0.03)
    assert set(card.slots[1]) == {SILENT}                   # port 2 stays quiet


def test_withheld_number_reason_decoded_by_callerid_receiver(card):
    card.lines[0].call(CallerId(withheld="P"))
    card.run(5.3)
    (_, msg), = CallerIdReceiver("v23").process_alaw(bytes(card.slots[0]))
    assert msg.number is None and msg.number_absent == "P" and msg.reason == "private"


def test_caller_id_is_not_on_the_highway_without_the_line_monitor(card):
    card.fxo[0].write(5, 0x00)                              # ONHM off
    card.lines[0].call(CallerId("5551234"))
    card.run(5.3)
    assert set(card.slots[0]) == {SILENT}
    assert CallerIdReceiver("v23").process_alaw(bytes(card.slots[0])) == []


def test_answering_during_caller_id_cuts_it_off(card):
    card.lines[0].call(CallerId("5551234", "ALICE SMITH"))
    card.run(1.7)                                           # FSK started at 1.5 s
    card.fxo[0].off_hook()
    card.run(1.0)
    rx = CallerIdReceiver("v23")
    assert rx.process_alaw(bytes(card.slots[0])) == []


def test_caller_id_that_does_not_fit_between_rings_is_refused():
    card = Card("UK", "UK")
    with pytest.raises(ValueError, match="does not fit"):
        card.lines[0].call(CallerId("5551234", "A" * 200, "11271430"))   # 2.7 s of FSK, 1.3 s gap


# ------------------------------------------------------------------ FXO: DTMF caller ID
@pytest.mark.parametrize("cid, number, reason, first", [
    (CallerId("5551234", method="dtmf"), "5551234", None, "A"),
    (CallerId("0612345678", method="dtmf", dtmf_start="D"), "0612345678", None, "D"),
    (CallerId(method="dtmf", withheld="P"), None, "private", "B"),
    (CallerId(method="dtmf", withheld="O"), None, "unavailable", "B"),
])
def test_dtmf_caller_id_decoded_by_dtmf_callerid_receiver(card, cid, number, reason, first):
    t_call = card.clock.now()
    card.lines[0].call(cid)
    card.run(5.3)
    (_, got), = DtmfCallerIdReceiver().process_alaw(bytes(card.slots[0]))
    assert (got.number, got.reason, got.start) == (number, reason, first)
    start, end = card.audible(0)
    assert t_call + 1.5 - 1e-9 <= start and end <= t_call + 4.8 + 1e-9


# ------------------------------------------------------------------ FXO: far end hangs up
@pytest.mark.parametrize("zone, country, tone", [
    ("EU", "TBR21", "busy"), ("EU", "TBR21", "congestion"), ("US", "FCC", "busy")])
def test_far_end_tone_after_hang_up_recognised_by_progress_detector(zone, country, tone):
    card = Card(zone, country)
    card.bring_up()
    card.lines[0].dial_tone = False                        # only the far end's tone on the line
    card.fxo[0].off_hook()
    card.run(0.5)
    t_clear = card.clock.now()
    card.lines[0].far_end_clears("busy_tone", tone)
    card.run(2.5)
    audio = bytes(card.slots[0])
    quiet = int((t_clear - card.t0) * RATE)
    assert set(audio[:quiet]) == {SILENT}                   # nothing before the far end cleared
    kinds = {k for _, k in ProgressDetector(zone.lower()).process_alaw(audio)}
    assert kinds == {tone}
    assert card.audible(0)[0] == pytest.approx(t_clear, abs=0.001)


def test_tone_stops_when_we_hang_up(card):
    card.fxo[0].off_hook()
    card.lines[0].far_end_clears("busy_tone")
    card.run(1.0)
    card.fxo[0].on_hook()
    t_on = card.clock.now()
    card.run(1.0)
    assert card.audible(0)[1] <= t_on + 1e-9


# ------------------------------------------------------------------ FXS: dialled digits
def test_phone_dtmf_decoded_by_dtmf_detector(card):
    phone, fxs_port = card.phones[0], len(card.fxo)
    phone.lift()
    card.run(0.3)
    assert card.fxs[0].offhook
    t_dial = card.clock.now()
    phone.dial("0123456789*#ABCD", tone=0.08, gap=0.08)
    card.run(16 * 0.16 + 0.2)
    audio = alaw_to_linear(bytes(card.slots[fxs_port]))
    events = DtmfDetector().process(audio)
    assert "".join(d for _, d in events) == "0123456789*#ABCD"
    first = card.t0 + events[0][0] / RATE
    assert t_dial <= first <= t_dial + 0.06                 # recognised within 40-60 ms
    assert set(card.slots[fxs_port + 1]) == {SILENT}


def test_on_hook_phone_sends_no_dtmf(card):
    card.phones[0].dial("123")
    card.run(1.0)
    assert set(card.slots[len(card.fxo)]) == {SILENT}


def test_hanging_up_cuts_the_digits_short(card):
    phone = card.phones[0]
    phone.lift()
    card.run(0.3)
    phone.dial("123456")
    card.run(0.35)
    phone.hang_up()
    card.run(1.0)
    events = DtmfDetector().process_alaw(bytes(card.slots[len(card.fxo)]))
    assert "".join(d for _, d in events) == "12"


# ------------------------------------------------------------------ the pieces
def test_highway_bytes_do_not_depend_on_how_often_it_is_read():
    def record(chunk):
        card = Card()
        card.bring_up()
        card.lines[0].call(CallerId("5551234", "ALICE"))
        card.run(3.0, chunk=chunk)
        return bytes(card.slots[0]), card.t0
    a, ta = record(0.02)
    b, tb = record(0.5)
    assert ta == tb and a == b


def test_a_late_reader_gets_the_newest_two_seconds_with_their_own_audio():
    def card_calling():
        card = Card()
        card.bring_up()
        card.lines[0].call(CallerId("5551234", "ALICE"))
        return card
    steady, late = card_calling(), card_calling()
    steady.run(4.0)
    run(late.clock, 4.0, [*late.fxo, *late.fxs])
    frames = late.tdm.read_frames(1 << 20)                  # the framer kept the last 2 s
    assert len(frames) == 16000
    tail = bytes(steady.slots[0][-16000:])
    assert set(tail) != {SILENT}                            # the FSK is in it
    assert bytes(f[E1_SLOTS] for f in frames) == tail


def test_timeline_repeats_cycles_and_cuts():
    tl = AudioTimeline()
    cycle = bytes([1, 0, 2, 0, 3, 0])
    tl.repeat(10, cycle, "tone")
    assert tl.render(9, 5) == bytes([0, 0, 1, 0, 2, 0, 3, 0, 1, 0])
    tl.cut(12, "tone")
    assert tl.render(9, 5) == bytes([0, 0, 1, 0, 2, 0, 0, 0, 0, 0])


def test_gate_reports_open_intervals_and_last_write_wins():
    g = Gate()
    g.set(5, True)
    g.set(10, False)
    g.set(10, True)
    g.set(20, False)
    assert g.intervals(0, 30) == [(5, 20)]
    assert g.open_at(4) is False and g.open_at(19) is True
    assert sample_at(0.125) == 1000


# ------------------------------------------------------------------ PCM timeslot registers
def test_fxs_ports_on_slots_34_and_35_are_heard_in_those_bytes():
    card = Card()
    card.fxs[0].bring_up(timeslot=35)
    card.fxs[1].bring_up(timeslot=34)
    assert card.fxs[0].pcm_timeslot() == 35 and card.fxs[1].pcm_timeslot() == 34
    assert [s.tx_timeslot for s in card.board.sim.slics] == [35, 34]
    card.start_recording()
    card.phones[0].lift()
    card.run(0.3)
    card.phones[0].dial("5")
    card.run(0.5)
    assert "".join(d for _, d in DtmfDetector().process_alaw(bytes(card.slots[35 - E1_SLOTS]))) == "5"
    assert set(card.slots[34 - E1_SLOTS]) == {SILENT}
    assert card.board.tdm.collisions == 0


def _frames(card, slot, pcm):
    """TDM frames carrying linear ``pcm`` (A-law) in byte ``slot``, silence elsewhere."""
    from acd_core.g711 import linear_to_alaw
    alaw = linear_to_alaw(pcm)
    blank = bytearray(b"\xff" * E1_SLOTS + bytes([SILENT]) * (card.tdm.frame_size - E1_SLOTS))
    out = []
    for b in alaw:
        blank[slot] = b
        out.append(bytes(blank))
    return out


# ------------------------------------------------------------------ the box's audio into the slots
def test_seized_line_gives_dial_tone_until_the_box_dials_dtmf(card):
    from acd_core import tonegen
    card.fxo[0].off_hook()
    card.run(1.5)
    assert {k for _, k in ProgressDetector("eu").process_alaw(bytes(card.slots[0]))} == {"dial"}
    t_dial = card.clock.now()
    card.tdm.write_frames(_frames(card, E1_SLOTS, tonegen.dtmf("0612", 80, 80)))
    card.start_recording()
    card.run(1.0)
    line = card.lines[0]
    assert "".join(d for _, d in line.dialled) == "0612"
    assert t_dial <= line.dialled[0][0] <= t_dial + 0.06
    assert card.audible(0)[1] <= line.dialled[0][0] + 0.001        # dial tone stopped at the first digit


def test_box_audio_does_not_reach_an_idle_line(card):
    from acd_core import tonegen
    card.tdm.write_frames(_frames(card, E1_SLOTS, tonegen.dtmf("1", 80, 80)))
    card.run(0.5)
    assert card.lines[0].dialled == [] and card.lines[0].heard.spans() == []


def test_dead_exchange_gives_no_dial_tone(card):
    card.lines[0].dial_tone = False
    card.fxo[0].off_hook()
    card.run(1.5)
    assert set(card.slots[0]) == {SILENT}


def test_fsk_written_into_the_fxs_slot_shows_on_the_phone_display(card):
    from acd_core import tonegen
    from acd_core.callerid import CallerIdMessage
    from drivers.analog.si3217x import LF_FWD_OHT, LF_OPEN
    msg = CallerIdMessage(date_time="11271430", number="5551234", name="ALICE")
    fsk = tonegen.fsk_callerid(bytes(msg), "v23")
    slot = E1_SLOTS + len(card.fxo)              # FXS port 1
    slic, phone = card.fxs[0], card.phones[0]
    slic.set_linefeed(LF_OPEN)                   # no loop feed: nothing reaches the phone
    card.tdm.write_frames(_frames(card, slot, fsk))
    card.run(1.0)
    assert phone.display == []
    slic.set_linefeed(LF_FWD_OHT)                # on-hook transmission
    card.tdm.write_frames(_frames(card, slot, fsk))
    card.run(1.0)
    (_, shown), = phone.display
    assert (shown.number, shown.name, shown.date_time) == ("5551234", "ALICE", "11271430")
