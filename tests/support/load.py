"""Call load against the whole appliance: sipp callers and seats, and what the box costs.

The box runs as in ``tests/support/appliance.py`` (a child process, random
ports, inside the suite's private network namespace). Its seats are one sipp
UAS that every seat's registration points at; each answers and sends a
1000 Hz "voice". Callers are one sipp UAC placing calls at a set rate, each
sending 400 Hz, the in-band digit "1" for the IVR, and 400 Hz again, then
hanging up after its hold. What the box costs is read from ``/proc`` for its
whole process tree (daemon, Kamailio, every media node): CPU as a share of
one core summed over the tree, memory as PSS summed (shared pages counted
once across the processes, so the sum is what the box really occupies).
"""
from __future__ import annotations

import csv
import math
import os
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from firmware.demo import TRUNK_ADDRESS
from tests.support.net import free_port, free_port_range
from tests.support.oracles import audioop
from tests.support.rtp import silence, tone
from tests.support.signals import dtmf, to_pcm
from tests.support.sipp import SDP

HZ = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- the box's cost
def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def _cpu_ticks(pid: int) -> int | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[11]) + int(fields[12])


def pss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Footprint:
    """What a process holds at one moment: open files, threads, resident memory."""
    fds: int
    threads: int
    rss_kib: int


def footprint(pid: int) -> Footprint:
    threads = rss = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Threads:"):
            threads = int(line.split()[1])
        elif line.startswith("VmRSS:"):
            rss = int(line.split()[1])
    return Footprint(fds=len(os.listdir(f"/proc/{pid}/fd")), threads=threads, rss_kib=rss)


@dataclass
class Cost:
    cpu_pct: float          # of one core, summed over the tree
    pss_mib: float          # mean of the samples
    processes: int
    seconds: float


class TreeMeter:
    """Samples the box's process tree once a second: per-process CPU deltas (so nodes
    that start or stop mid-window count for the time they ran) and summed PSS."""

    def __init__(self, root: int) -> None:
        self.root = root

    def measure(self, seconds: float) -> Cost:
        last: dict[int, int] = {}
        used = 0
        pss: list[int] = []
        procs = 0
        t0 = time.monotonic()
        for pid in process_tree(self.root):
            ticks = _cpu_ticks(pid)
            if ticks is not None:
                last[pid] = ticks
        while time.monotonic() - t0 < seconds:
            time.sleep(1.0)
            pids = process_tree(self.root)
            procs = max(procs, len(pids))
            for pid in pids:
                ticks = _cpu_ticks(pid)
                if ticks is None:
                    continue
                used += ticks - last.get(pid, ticks)
                last[pid] = ticks
            pss.append(sum(pss_kib(p) for p in pids))
        elapsed = time.monotonic() - t0
        return Cost(cpu_pct=round(used / HZ / elapsed * 100, 2),
                    pss_mib=round(statistics.mean(pss) / 1024, 1) if pss else 0.0,
                    processes=procs, seconds=round(elapsed, 1))


# ---------------------------------------------------------------- audio
def alaw(pcm16: bytes) -> bytes:
    return audioop.lin2alaw(pcm16, 2)


def caller_audio(seconds: float) -> bytes:
    """400 Hz, the in-band digit 1 at 1 s (the IVR's choice of queue), 400 Hz after."""
    digit = to_pcm(dtmf("1", 1200, level_dbm0=-8.0))
    return alaw(tone((400.0,), 1.0) + digit + silence(0.1) + tone((400.0,), seconds))


def seat_audio(seconds: float) -> bytes:
    return alaw(tone((1000.0,), seconds))


# ---------------------------------------------------------------- sipp peers
_REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seat registers for the load test">
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]R[call_number]
      To: <sip:{user}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Contact: <sip:{user}@127.0.0.1:{contact}>
      Expires: 3600
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{user}@[remote_ip]:[remote_port]>;tag=[pid]R[call_number]
      To: <sip:{user}@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Contact: <sip:{user}@127.0.0.1:{contact}>
      [authentication]
      Expires: 3600
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200"/>
</scenario>
"""

# Every seat: rings, answers, sends its voice, waits for the box's BYE.
_SEATS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="seats for the load test">
  <recv request="INVITE"/>
  <send><![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]S[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port]>
      Content-Length: 0

    ]]></send>
  <send retrans="500"><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]S[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:seat@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv request="ACK"><action><exec rtp_stream="{audio},-1,8"/></action></recv>
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

# Every caller: INVITE to the DID, 200 timed (rtd), audio, hold, BYE.
_CALLERS = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callers for the load test">
  <send retrans="500"><![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Load Caller" <sip:555[call_number]@[local_ip]:[local_port]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:555[call_number]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/sdp
      Content-Length: [len]

      {sdp}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" rrs="true"/>
  <send><![CDATA[
      ACK [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Load Caller" <sip:555[call_number]@[local_ip]:[local_port]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]><action><exec rtp_stream="{audio},-1,8"/></action></send>
{end}"""

# The caller hangs up after its hold.
_CALLER_HANGS_UP = """  <pause milliseconds="{hold_ms}"/>
  <send retrans="500"><![CDATA[
      BYE [next_url] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      [routes]
      From: "Load Caller" <sip:555[call_number]@[local_ip]:[local_port]>;tag=[pid]C[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]></send>
  <recv response="200" crlf="true"/>
</scenario>
"""

# The box hangs up (a fault test): the caller waits for its BYE and answers it.
_BOX_HANGS_UP = """  <recv request="BYE" timeout="{hold_ms}"/>
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


def _sipp(workdir: Path, name: str, scenario: str, args: list[str],
          source: str = "127.0.0.1") -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"{name}.xml"
    path.write_text(scenario)
    with open(workdir / f"{name}.out", "wb") as out:   # the child keeps its own copy
        return subprocess.Popen(["sipp", "-sf", str(path), "-i", source, "-nostdin",
                                 "-trace_err", "-error_file",
                                 str(workdir / f"{name}-errors.log"), *args],
                                cwd=workdir, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)


def register_seats(workdir: Path, edge_port: int, creds: dict[str, str],
                   contact_port: int) -> list[str]:
    """Register every seat (one sipp each) with its contact at the seats' UAS; the failures.

    Each seat registers from its own loopback address (127.0.1.N), as each phone of an
    office has its own: from one address, the edge's flood limit bans the source after
    eight quick registrations (two requests each)."""
    failed = []
    seats = [(u, pw) for u, pw in sorted(creds.items()) if u.isdigit()]
    for n, (user, password) in enumerate(seats, start=1):
        source = f"127.0.1.{n}"
        proc = _sipp(workdir / "register", f"reg-{user}",
                     _REGISTER.format(user=user, contact=contact_port),
                     ["-p", str(free_port(host=source)), "-m", "1", "-timeout", "20s",
                      "-timeout_error", "-au", user, "-ap", password,
                      f"127.0.0.1:{edge_port}"], source=source)
        if proc.wait(40) != 0:
            failed.append(user)
    return failed


@dataclass
class Seats:
    proc: subprocess.Popen[bytes]
    port: int
    workdir: Path

    def received(self, method: str) -> int:
        """How many ``method`` requests the seats have received so far."""
        count = 0
        for path in self.workdir.glob("seats_*_messages.log"):
            text = path.read_text(errors="replace")
            count += sum(1 for block in text.split("message received")[1:]
                         if block.split("\n\n", 1)[-1].lstrip().startswith(method + " "))
        return count

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def start_seats(workdir: Path, seconds: float, max_calls: int) -> Seats:
    audio = workdir / "seat.al"
    workdir.mkdir(parents=True, exist_ok=True)
    audio.write_bytes(seat_audio(min(seconds, 30.0)))
    port = free_port()
    rtp = free_port_range(4 * max_calls + 8)
    proc = _sipp(workdir, "seats", _SEATS.format(sdp=SDP, audio=audio),
                 ["-p", str(port), "-mi", "127.0.0.1", "-mp", str(rtp), "-trace_msg",
                  "-l", str(max_calls * 2), "-timeout", f"{int(seconds + 120)}s"])
    return Seats(proc, port, workdir)


@dataclass
class CallerRun:
    proc: subprocess.Popen[bytes]
    workdir: Path
    calls: int
    result: dict[str, float] = field(default_factory=dict)

    def wait(self, timeout: float) -> dict[str, float]:
        """sipp's own figures: calls ok/failed and INVITE -> 200 setup time p50/p95 (ms)."""
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(10)
        rtts = []
        for path in self.workdir.glob("callers_*_rtt.csv"):
            with open(path) as f:
                for row in csv.reader(f, delimiter=";"):
                    if len(row) >= 2 and row[1].replace(".", "", 1).isdigit():
                        rtts.append(float(row[1]))
        ok = failed = 0
        for path in self.workdir.glob("callers_*_.csv"):
            with open(path) as f:
                rows = list(csv.reader(f, delimiter=";"))
            if len(rows) >= 2:
                head, last = rows[0], rows[-1]
                ok = int(last[head.index("SuccessfulCall(C)")])
                failed = int(last[head.index("FailedCall(C)")])
        rtts.sort()
        self.result = {
            "calls_ok": ok, "calls_failed": failed, "sipp_exit": self.proc.returncode,
            "setup_ms_p50": _rank(rtts, 0.50), "setup_ms_p95": _rank(rtts, 0.95),
            "setup_samples": len(rtts)}
        return self.result


def _rank(sorted_values: list[float], q: float) -> float:
    """The nearest-rank quantile (no interpolation: a value sipp really measured)."""
    if not sorted_values:
        return float("nan")
    return round(sorted_values[max(0, math.ceil(q * len(sorted_values)) - 1)], 1)


def place_calls(workdir: Path, edge_port: int, did: str, calls: int, rate: float,
                hold_s: float, box_hangs_up: bool = False,
                edge_host: str = "127.0.0.1") -> CallerRun:
    """``calls`` callers at ``rate`` from the demo trunk's address; each hangs up after ``hold_s`` (or, with
    ``box_hangs_up``, waits up to ``hold_s`` for the box's BYE: a fault test)."""
    workdir.mkdir(parents=True, exist_ok=True)
    audio = workdir / "caller.al"
    audio.write_bytes(caller_audio(min(hold_s + 5, 30.0)))
    rtp = free_port_range(4 * calls + 8)
    end = (_BOX_HANGS_UP if box_hangs_up else _CALLER_HANGS_UP).format(
        hold_ms=int(hold_s * 1000))
    proc = _sipp(workdir, "callers", _CALLERS.format(sdp=SDP, audio=audio, end=end),
                 ["-p", str(free_port(host=TRUNK_ADDRESS)), "-s", did, "-mi", "127.0.0.1",
                  "-mp", str(rtp),
                  "-m", str(calls), "-l", str(calls), "-r", str(rate), "-rp", "1000",
                  "-timeout", f"{int(hold_s + calls / rate + 120)}s",
                  "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1",
                  f"{edge_host}:{edge_port}"], source=TRUNK_ADDRESS)
    return CallerRun(proc, workdir, calls)


def in_background(fn: "callable[[], None]") -> threading.Thread:  # type: ignore[valid-type]
    t = threading.Thread(target=fn, daemon=True)
    t.start()
    return t
