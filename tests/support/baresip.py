"""baresip as an agent seat: registers with digest auth, auto-answers, plays a
WAV as its microphone and records what it hears (``sndfile``: ``*-dec.wav``).
With ``control=True`` it also takes commands (``dial``, ``hangup``) over TCP
(``ctrl_tcp``, netstring-framed JSON), so a test can make it place calls."""
from __future__ import annotations

import json
import signal
import socket
import subprocess
import wave
from pathlib import Path

from tests.support.net import baresip_sip_port, free_port, free_port_range
from tests.support.rtp import RATE, silence, tone

CONFIG = """poll_method\t\tepoll
sip_listen\t\t{address}:{sip_port}
sip_trans_def\t\tudp
audio_player\t\taubridge,seat{user}
audio_alert\t\taubridge,seat{user}
audio_source\t\taufile,{play}
ausrc_srate\t\t8000
auplay_srate\t\t8000
ausrc_channels\t\t1
auplay_channels\t\t1
rtp_ports\t\t{rtp_lo}-{rtp_hi}
module_path\t\t/usr/lib/baresip/modules
module\t\t\tg711.so
module\t\t\taufile.so
module\t\t\taubridge.so
module\t\t\tsndfile.so
module_app\t\taccount.so
module_app\t\tmenu.so
snd_path\t\t{rec}
"""


class BaresipSeat:
    def __init__(self, workdir: Path, user: str, password: str, edge_port: int,
                 tone_hz: float = 1000.0, seconds: float = 120.0,
                 talk_s: float | None = None, control: bool = False,
                 address: str = "127.0.0.1") -> None:
        """``address``: where baresip binds (another loopback address than 127.0.0.1 when
        127.0.0.1 is a trusted trunk source, so the edge takes it for a seat)."""
        self.dir = workdir
        self.user = user
        self.rec = workdir / "rec"
        self.rec.mkdir(parents=True, exist_ok=True)
        play = workdir / "play.wav"
        # The seat talks for the first 20 s then stays silent; baresip hangs up
        # when its source file ends, so the file is padded to the test's length,
        # or cut at ``talk_s`` for a seat that hangs up the call itself.
        if talk_s is not None:
            pcm = tone((tone_hz,), talk_s, amplitude=0.2)
        else:
            pcm = tone((tone_hz,), 20.0, amplitude=0.2) + silence(seconds - 20.0)
        with wave.open(str(play), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(pcm)
        rtp_lo = free_port_range(20, 1)
        self.address = address
        config = CONFIG.format(address=address, sip_port=baresip_sip_port(address), user=user,
                               play=play, rtp_lo=rtp_lo, rtp_hi=rtp_lo + 19, rec=self.rec)
        self.ctrl_port = free_port() if control else 0
        if control:
            config += f"module_app\t\tctrl_tcp.so\nctrl_tcp_listen\t\t127.0.0.1:{self.ctrl_port}\n"
        (workdir / "config").write_text(config)
        self.edge_port = edge_port
        (workdir / "accounts").write_text(
            f"<sip:{user}@127.0.0.1:{edge_port}>;auth_pass={password};answermode=auto;"
            "regint=60;audio_codecs=PCMA,PCMU\n")
        (workdir / "contacts").write_text("")
        self.log_path = workdir / "baresip.log"
        self.seconds = seconds
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> "BaresipSeat":
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            ["baresip", "-n", self.address, "-f", str(self.dir), "-t", str(int(self.seconds))],
            stdout=self._log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return self

    def command(self, cmd: str, params: str = "") -> dict:
        """One ctrl_tcp command (``dial`` with a URI, ``hangup``); baresip's JSON reply."""
        body = json.dumps({"command": cmd, "params": params, "token": "t"}).encode()
        with socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=5) as s:
            s.sendall(b"%d:%s," % (len(body), body))
            data = b""
            while not data.endswith(b","):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        length, _, rest = data.partition(b":")
        return json.loads(rest[:int(length)]) if length.isdigit() else {}

    def dial(self, number: str) -> dict:
        return self.command("dial", f"sip:{number}@127.0.0.1:{self.edge_port}")

    def heard_files(self) -> list[Path]:
        return sorted(self.rec.glob("*-dec.wav"))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc is not None:
            self._log.close()
