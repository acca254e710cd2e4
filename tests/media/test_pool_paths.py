"""One-way paths, hold, stereo recording, room and opened conversations on a real node.

sipp plays every party, each talking its own tone (caller 500 Hz, agent
1500 Hz, supervisor 2500 Hz, music on hold 700 Hz); what each party hears is
read off the loopback interface and judged by frequency (Goertzel), never by
the node's own account. Listen, whisper and barge are built from the node's
``connect`` paths exactly as the desk builds them.
"""
from __future__ import annotations

import asyncio
import wave
from pathlib import Path
import pytest

from firmware.errors import MediaError
from firmware.media.calls import NO_ROOM
from tests.media.conftest import PoolHarness, make_cfg, until
from tests.media.peers import ALAW, UAC, UAS, LoopTap, Sipp
from tests.media.test_pool_calls import share_in, write_prompt
from tests.support.audio import read_wav
from tests.support.oracles import audioop
from tests.support.rtp import tone

pytestmark = [pytest.mark.network]

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ, MOH_HZ = 500.0, 1500.0, 2500.0, 700.0

# A phone that answers, talks, then presses its transfer button (REFER to 202) and
# waits for the box to end the call.
UAS_REFER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone that transfers">
  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="remote"/>
      <ereg regexp="sip:[^>;]*" search_in="hdr" header="Contact:" check_it="true" assign_to="target"/>
    </action>
  </recv>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag09[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv request="ACK"><action>{play}</action></recv>
  <pause milliseconds="1000"/>
  <send retrans="500"><![CDATA[
      REFER [$target] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:phone@[local_ip]:[local_port]>;tag=[pid]SIPpTag09[call_number]
      To: [$remote]
      Call-ID: [call_id]
      CSeq: 1 REFER
      Contact: <sip:phone@[local_ip]:[local_port]>
      Refer-To: <sip:202@127.0.0.1>
      Referred-By: <sip:phone@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="603"/>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
</scenario>
"""


# A phone with remote answer: rings, and answers only when asked (NOTIFY, Event: talk).
UAS_TALK = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="phone answered remotely">
  <recv request="INVITE">
    <action>
      <ereg regexp=".*" search_in="hdr" header="Via:" check_it="true" assign_to="via"/>
      <ereg regexp=".*" search_in="hdr" header="From:" check_it="true" assign_to="from"/>
      <ereg regexp=".*" search_in="hdr" header="To:" check_it="true" assign_to="to"/>
      <ereg regexp=".*" search_in="hdr" header="CSeq:" check_it="true" assign_to="cseq"/>
    </action>
  </recv>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]SIPpTag07[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:phone@[local_ip]:[local_port]>
      Content-Length: 0

    ]]></send>
  <recv request="NOTIFY">
    <action>
      <ereg regexp="talk" search_in="hdr" header="Event:" check_it="true" assign_to="ev"/>
    </action>
  </recv>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      Via: [$via]
      From: [$from]
      To: [$to];tag=[pid]SIPpTag07[call_number]
      Call-ID: [call_id]
      CSeq: [$cseq]
      Contact: <sip:phone@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv request="ACK"><action>{play}</action></recv>
  <recv request="BYE"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]></send>
  <Reference variables="ev"/>
</scenario>
"""


def talking(hz: float) -> bytes:
    """One second of A-law ``hz``, looped by sipp for as long as the call lasts."""
    return audioop.lin2alaw(tone((hz,), 1.0), 2)


class Ear:
    """What one sipp peer heard from the node since a mark."""

    def __init__(self, tap: LoopTap, peer: Sipp) -> None:
        self.tap, self.port = tap, peer.media_port
        self.mark = 0

    def reset(self) -> None:
        self.mark = len(self.tap.packets[self.port])

    async def heard(self, seconds: float = 1.2) -> list[int]:
        """The last ``seconds`` of audio after the mark (the first 0.2 s after it skipped)."""
        need = self.mark + 10 + int(seconds * 50)
        await until(lambda: len(self.tap.packets[self.port]) >= need, 15, f"RTP to {self.port}")
        packets = self.tap.packets[self.port][self.mark + 10:need]
        return [ALAW[p] for rtp in packets for p in rtp[12:]]


def shares(samples: list[int], *freqs: float) -> dict[float, float]:
    return {f: round(share_in(samples, f), 3) for f in freqs}


async def test_listen_whisper_barge_stereo_and_no_room_with_sipp_parties(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    h = PoolHarness(make_cfg(tmp_path, legs=4))
    await h.pool.start()
    caller = Sipp(tmp_path / "caller", "caller", UAC, alaw=talking(CALLER_HZ))
    agent = Sipp(tmp_path / "agent", "agent", UAS, alaw=talking(AGENT_HZ)).answer()
    sup = Sipp(tmp_path / "sup", "sup", UAS, alaw=talking(SUPERVISOR_HZ)).answer()
    tap = LoopTap({caller.media_port, agent.media_port, sup.media_port})
    ears = {name: Ear(tap, peer) for name, peer in (("caller", caller), ("agent", agent),
                                                    ("sup", sup))}
    try:
        caller.call(h.node_sets[-1][0])
        a = await h.next_leg()
        await a.answer()
        await asyncio.wait_for(a.answered.wait(), 10)
        b = await h.pool.dial(a, f"sip:agent@127.0.0.1:{agent.port}")
        await b.wait_answered()
        await h.pool.bridge(a, b)
        incoming = h.cfg.recordings_dir / ".incoming"
        incoming.mkdir(parents=True)
        rec = str(incoming / "stereo.wav")
        await h.pool.record(a, b, rec, stereo=True)

        h.pool.ensure_room(a, 1, "listen")              # 2 of 4 legs used: room for one
        s = await h.pool.dial(a, f"sip:sup@127.0.0.1:{sup.port}")
        await s.wait_answered()
        # a second supervisor, or a conference, finds the node full: refused up front
        with pytest.raises(MediaError) as err:
            h.pool.ensure_room(a, 2, "barge")
        assert NO_ROOM in str(err.value) and err.value.reason == NO_ROOM
        with pytest.raises(MediaError, match="no media node has room"):
            await h.pool.open_conversation(2)

        # listen: caller and agent -> supervisor
        for e in ears.values():
            e.reset()
        await h.pool.connect(a, s)
        await h.pool.connect(b, s)
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ)
                 for n, e in ears.items()}
        assert heard["sup"][CALLER_HZ] > 0.2 and heard["sup"][AGENT_HZ] > 0.2, heard
        assert heard["caller"][SUPERVISOR_HZ] < 0.02 and heard["agent"][SUPERVISOR_HZ] < 0.02

        # whisper: + supervisor -> agent; the caller still does not hear the supervisor
        for e in ears.values():
            e.reset()
        await h.pool.connect(s, b)
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ)
                 for n, e in ears.items()}
        assert heard["agent"][SUPERVISOR_HZ] > 0.2 and heard["agent"][CALLER_HZ] > 0.2, heard
        assert heard["caller"][SUPERVISOR_HZ] < 0.02 and heard["caller"][AGENT_HZ] > 0.5, heard

        # barge: + supervisor -> caller (everyone hears everyone)
        for e in ears.values():
            e.reset()
        await h.pool.connect(s, a)
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ)
                 for n, e in ears.items()}
        assert heard["caller"][SUPERVISOR_HZ] > 0.2 and heard["caller"][AGENT_HZ] > 0.2, heard

        # the supervisor leaves: the paths into and out of its leg go with it
        await s.hangup()
        await asyncio.wait_for(s.ended, 10)
        for e in ears.values():
            e.reset()
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ)
                 for n, e in ears.items() if n != "sup"}
        assert heard["caller"][AGENT_HZ] > 0.5 and heard["agent"][CALLER_HZ] > 0.5, heard

        seconds = await h.pool.stop_record(rec)
        with wave.open(rec, "rb") as w:
            assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
            assert w.getnframes() == int(round(seconds * 8000))
        assert not list(incoming.glob("stereo.*.wav")), "the halves were not removed"
        [merged] = [r.getMessage() for r in caplog.records if "stereo recording merged" in
                    r.getMessage()]
        skew = int(merged.rsplit("skew=", 1)[1])
        print(f"\nstereo halves: {merged}")
        assert abs(skew) <= 160, f"channels skewed by more than one 20 ms frame: {merged}"
        _, left = read_wav(Path(rec), channel=0)
        _, right = read_wav(Path(rec), channel=1)
        assert share_in(left, CALLER_HZ) > 0.8 and share_in(left, AGENT_HZ) < 0.05
        assert share_in(right, AGENT_HZ) > 0.8 and share_in(right, CALLER_HZ) < 0.05
        await b.hangup()
        await a.hangup()
        await asyncio.wait_for(asyncio.gather(a.ended, b.ended), 10)
        assert [p.wait(20) for p in (caller, agent, sup)] == [0, 0, 0], caller.errors()
    finally:
        for p in (caller, agent, sup):
            p.stop()
        tap.close()
        await h.pool.stop()


async def test_hold_click_to_call_remote_answer_and_a_phones_transfer_button(
        tmp_path: Path) -> None:
    h = PoolHarness(make_cfg(tmp_path, legs=4))
    await h.pool.start()
    moh = write_prompt(tmp_path / "moh.wav", MOH_HZ, 2.0)
    agent = Sipp(tmp_path / "agent", "agent", UAS_REFER, alaw=talking(AGENT_HZ)).answer()
    customer = Sipp(tmp_path / "cust", "cust", UAS_TALK, alaw=talking(CALLER_HZ)).answer()
    tap = LoopTap({agent.media_port, customer.media_port})
    ears = {"agent": Ear(tap, agent), "customer": Ear(tap, customer)}
    try:
        # click-to-call: room first, then the agent's seat, then the customer
        conv = await h.pool.open_conversation(2)
        assert h.pool.legs_free() == 2
        b = await conv.dial(f"sip:agent@127.0.0.1:{agent.port}", caller_id="5550100",
                            caller_name="Click to call")
        await b.wait_answered()
        c = await conv.dial(f"sip:cust@127.0.0.1:{customer.port}", caller_id="5550100")
        await until(lambda: c.state == "ringing", 10, "the customer's phone rings")
        with pytest.raises(MediaError, match="not a ringing call we made"):
            await b.talk()                               # answered already: nothing to ask
        await c.talk()                                   # remote answer: NOTIFY Event: talk
        await asyncio.wait_for(c.wait_answered(), 10)
        assert h.pool.legs_free() == 2                 # the conversation held its two legs
        await h.pool.bridge(b, c)
        for e in ears.values():
            e.reset()
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ) for n, e in ears.items()}
        assert heard["agent"][CALLER_HZ] > 0.5 and heard["customer"][AGENT_HZ] > 0.5, heard

        # hold the customer: music for them, silence for the agent
        for e in ears.values():
            e.reset()
        await c.hold(str(moh))
        customer_heard = await ears["customer"].heard()
        agent_heard = await ears["agent"].heard()
        assert share_in(customer_heard, MOH_HZ) > 0.8
        assert max(abs(x) for x in agent_heard) < 100, "the agent hears the held customer"
        with pytest.raises(MediaError, match="already on hold"):
            await c.hold(str(moh))
        await c.resume()
        for e in ears.values():
            e.reset()
        heard = {n: shares(await e.heard(), CALLER_HZ, AGENT_HZ, MOH_HZ) for n, e in ears.items()}
        assert heard["agent"][CALLER_HZ] > 0.5 and heard["customer"][AGENT_HZ] > 0.5, heard
        assert heard["customer"][MOH_HZ] < 0.02

        # the agent's phone asks to transfer (REFER): declined by the node, told to us
        target = await asyncio.wait_for(b.refers.get(), 15)
        assert "sip:202@127.0.0.1" in target
        await b.hangup()
        await c.hangup()
        await asyncio.wait_for(asyncio.gather(b.ended, c.ended), 10)
        await conv.close()
        await until(lambda: h.pool.legs_free() == 4, 10, "the conversation's room back")
        assert agent.wait(20) == 0, agent.errors()
        assert customer.wait(20) == 0, customer.errors()
    finally:
        for p in (agent, customer):
            p.stop()
        tap.close()
        await h.pool.stop()
