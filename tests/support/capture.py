"""tshark as the independent ear: capture RTP on loopback, decode it with tshark.

Used where the peer cannot record (sipp): the test captures what the box sent
to the peer's media port and reads the payload back through tshark's own RTP
dissector, then G.711 through CPython's ``audioop`` — none of it our code.
"""
from __future__ import annotations

import signal
import subprocess
import warnings
from pathlib import Path

from tests.support.net import wait_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # noqa: E402


class RtpCapture:
    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        self.port = port
        self._err = path.with_suffix(".log")
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> "RtpCapture":
        self._log = open(self._err, "wb")
        self.proc = subprocess.Popen(
            ["tshark", "-i", "lo", "-f", f"udp dst port {self.port}", "-w", str(self.path), "-q"],
            stdout=subprocess.DEVNULL, stderr=self._log)
        wait_for(lambda: b"Capturing on" in self._err.read_bytes(), 20, "tshark to start capturing")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self._log.close()

    def pcma_audio(self) -> bytes:
        """The PCMA payloads tshark decodes as RTP, in order, as PCM16LE."""
        out = subprocess.run(
            ["tshark", "-r", str(self.path), "-d", f"udp.port=={self.port},rtp",
             "-Y", "rtp.p_type == 8", "-T", "fields", "-e", "rtp.payload"],
            capture_output=True, text=True, timeout=60, check=True)
        alaw = b"".join(bytes.fromhex(line.replace(":", "")) for line in out.stdout.split())
        return audioop.alaw2lin(alaw, 2)
