"""sipp as the caller: an INVITE with PCMA + telephone-event, a scripted RTP stream, BYE."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from firmware.demo import TRUNK_ADDRESS
from tests.support.net import free_port, sipp_media_port

# The offer every test peer makes: PCMA with RFC 4733 telephone-events.
SDP = """v=0
      o=callbox-test 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv
"""

INVITE = """  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Subject: callbox test
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]>
  </send>
"""

# ACK and BYE inside the dialog: to the remote target, along the recorded route.
IN_DIALOG = """  <send{retrans}>
    <![CDATA[
      {method} [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} {method}
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
"""

CALLER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callbox test caller">
{invite}  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
{ack}  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <pause milliseconds="{hold_ms}"/>
{bye}  <recv response="200" crlf="true"/>
</scenario>
"""


@dataclass
class SippResult:
    returncode: int
    output: str
    errors: str


REGISTER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callbox test register">
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:{user}@[local_ip]:[local_port]>
      Expires: 60
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="401" auth="true"/>
  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:{user}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:{user}@[local_ip]:[local_port]>
      [authentication]
      Expires: 60
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
</scenario>
"""




REFUSED_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callbox test caller, refused">
{invite}  <recv response="100" optional="true"/>
  <recv response="{code}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def _invite(caller: str) -> str:
    return INVITE.format(caller=caller, sdp=SDP.rstrip("\n"))


def _run(workdir: Path, scenario: str, args: list[str], edge_port: int,
         timeout: float, source: str = "127.0.0.1") -> SippResult:
    """Run one sipp scenario to its end from ``source``; messages of failed calls land in
    ``errors``."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / "scenario.xml"
    path.write_text(scenario)
    errors = workdir / "sipp-messages.log"
    cmd = ["sipp", "-sf", str(path), "-i", source, "-p", str(free_port(host=source)),
           "-m", "1", "-l", "1", "-nostdin", "-timeout", f"{int(timeout)}s", "-timeout_error",
           "-trace_msg", "-message_file", str(errors), *args, f"127.0.0.1:{edge_port}"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=timeout + 30)
    return SippResult(proc.returncode,
                      (proc.stdout + proc.stderr).decode(errors="replace")[-4000:],
                      errors.read_text(errors="replace") if errors.exists() else "")


def call(workdir: Path, edge_port: int, did: str, pcap: bytes, hold_s: float,
         caller: str = "5551234", timeout: float = 120.0,
         media_port: int | None = None) -> SippResult:
    """Place one call and wait for it to finish (BYE after ``hold_s``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    pcap_path = workdir / "caller.pcap"
    pcap_path.write_bytes(pcap)
    scenario = CALLER_SCENARIO.format(
        invite=_invite(caller), pcap=pcap_path, hold_ms=int(hold_s * 1000),
        ack=IN_DIALOG.format(retrans="", method="ACK", cseq=1, caller=caller),
        bye=IN_DIALOG.format(retrans=' retrans="500"', method="BYE", cseq=2, caller=caller))
    return _run(workdir, scenario, ["-s", did, "-mi", "127.0.0.1",
                                    "-mp", str(media_port or sipp_media_port())], edge_port, timeout,
                source=TRUNK_ADDRESS)


def call_refused(workdir: Path, edge_port: int, did: str, code: int,
                 caller: str = "5551234", timeout: float = 30.0) -> SippResult:
    """An INVITE the box must refuse with ``code``; exit 0 only if it did."""
    scenario = REFUSED_SCENARIO.format(invite=_invite(caller), caller=caller, code=code)
    return _run(workdir, scenario, ["-s", did, "-mi", "127.0.0.1", "-mp", str(sipp_media_port())],
                edge_port, timeout, source=TRUNK_ADDRESS)


def register(workdir: Path, edge_port: int, user: str, password: str,
             timeout: float = 30.0) -> SippResult:
    """One REGISTER with digest auth; exit 0 if the edge said 200, non-zero otherwise."""
    return _run(workdir, REGISTER_SCENARIO.format(user=user), ["-au", user, "-ap", password],
                edge_port, timeout)
