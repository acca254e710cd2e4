"""sipp as the caller: an INVITE with PCMA + telephone-event, a scripted RTP stream, BYE."""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.net import free_port

CALLER_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callbox test caller">
  <send retrans="500">
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

      v=0
      o=caller 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>
  <pause milliseconds="{hold_ms}"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""


@dataclass
class SippResult:
    returncode: int
    output: str
    errors: str


def call(workdir: Path, edge_port: int, did: str, pcap: bytes, hold_s: float,
         caller: str = "5551234", timeout: float = 120.0,
         media_port: int | None = None) -> SippResult:
    """Place one call and wait for it to finish (BYE after ``hold_s``)."""
    workdir.mkdir(parents=True, exist_ok=True)
    pcap_path = workdir / "caller.pcap"
    pcap_path.write_bytes(pcap)
    scenario = workdir / "caller.xml"
    scenario.write_text(CALLER_SCENARIO.format(caller=caller, pcap=pcap_path,
                                               hold_ms=int(hold_s * 1000)))
    port = free_port()
    media = media_port or free_port()
    cmd = ["sipp", "-sf", str(scenario), "-s", did, "-i", "127.0.0.1", "-p", str(port),
           "-mi", "127.0.0.1", "-mp", str(media), "-m", "1", "-l", "1",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-nostdin",
           "-trace_err", "-error_file", str(workdir / "sipp-errors.log"),
           f"127.0.0.1:{edge_port}"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=timeout + 30)
    errors_file = workdir / "sipp-errors.log"
    return SippResult(proc.returncode, proc.stdout.decode(errors="replace")[-4000:],
                      errors_file.read_text(errors="replace") if errors_file.exists() else "")


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


def register(workdir: Path, edge_port: int, user: str, password: str,
             timeout: float = 30.0) -> SippResult:
    """One REGISTER with digest auth; exit 0 if the edge said 200, non-zero otherwise."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / "register.xml"
    scenario.write_text(REGISTER_SCENARIO.format(user=user))
    cmd = ["sipp", "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(free_port()),
           "-au", user, "-ap", password, "-m", "1", "-l", "1", "-nostdin",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_msg",
           "-message_file", str(workdir / "register-messages.log"),
           f"127.0.0.1:{edge_port}"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=timeout + 30)
    messages = workdir / "register-messages.log"
    return SippResult(proc.returncode, proc.stdout.decode(errors="replace")[-4000:],
                      messages.read_text(errors="replace") if messages.exists() else "")


REFUSED_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callbox test caller, refused">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:{caller}@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=caller 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8
      a=rtpmap:8 PCMA/8000

    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="{code}"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Test Caller" <sip:{caller}@[local_ip]:[local_port]>;tag=[pid]SIPpTag01[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def call_refused(workdir: Path, edge_port: int, did: str, code: int,
                 caller: str = "5551234", timeout: float = 30.0) -> SippResult:
    """An INVITE the box must refuse with ``code``; exit 0 only if it did."""
    workdir.mkdir(parents=True, exist_ok=True)
    scenario = workdir / "refused.xml"
    scenario.write_text(REFUSED_SCENARIO.format(caller=caller, code=code))
    cmd = ["sipp", "-sf", str(scenario), "-s", did, "-i", "127.0.0.1", "-p", str(free_port()),
           "-mi", "127.0.0.1", "-mp", str(free_port()), "-m", "1", "-l", "1", "-nostdin",
           "-timeout", f"{int(timeout)}s", "-timeout_error", "-trace_err",
           "-error_file", str(workdir / "sipp-errors.log"), f"127.0.0.1:{edge_port}"]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, timeout=timeout + 30)
    errors_file = workdir / "sipp-errors.log"
    return SippResult(proc.returncode, proc.stdout.decode(errors="replace")[-4000:],
                      errors_file.read_text(errors="replace") if errors_file.exists() else "")
