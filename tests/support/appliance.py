"""The whole appliance as a child process, on random ports, in a temp dir.

Tests talk to it the way users do: SIP to the edge, HTTP to the web UI, and
read its SQLite file and recordings afterwards. Stopped by PID with SIGTERM,
the same path as Ctrl-C.
"""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

from firmware import config, demo
from tests.support.http import Client
from tests.support.net import free_port, free_port_range, wait_for

ROOT = Path(__file__).resolve().parents[2]


class Appliance:
    def __init__(self, workdir: Path, nodes_min: int = 1, nodes_max: int = 4,
                 extra: str = "", var_tmpfs: str = "", sip: str = "", web: str = "",
                 discovery: bool = False) -> None:
        """``discovery``: announce on mDNS. Off unless a test looks at the announcement:
        every simulated box has the same serial, and several announcers in one namespace
        answer each other's unicast queries at random (a test looking for its own box
        got another box's answer, or none, on a loaded CI run).
        ``extra``: more callbox.toml text (e.g. ``[demo]\nseats = 60\n``); ``sip``, ``web``:
        more keys of its ``[sip]`` / ``[web]`` table (e.g. ``trunk_new_requests = 60\n``).
        ``var_tmpfs`` (e.g. "32m"): ``var/`` is a tmpfs of that size in a mount namespace
        of the box's own (a disk that can be filled); the test reaches it through
        ``/proc/<pid>/root``, which is what ``var`` then is."""
        self.var_tmpfs = var_tmpfs
        self.dir = workdir
        self.sip_port = free_port()
        self.web_port = free_port()
        self.placement_port = free_port()
        self.node_base = free_port_range(max(8, nodes_max))
        self.rtp_base = free_port_range(40 * max(5, nodes_max), 1)
        self.config = workdir / "callbox.toml"
        self.config.write_text(
            f'[paths]\nvar = "{workdir / "var"}"\n'
            f'[sip]\nlisten = "127.0.0.1"\nport = {self.sip_port}\n'
            f'placement_port = {self.placement_port}\n{sip}'
            f'[web]\nlisten = "127.0.0.1"\nport = {self.web_port}\n{web}'
            f'[media]\nnodes_min = {nodes_min}\nnodes_max = {nodes_max}\n'
            f'sip_port_base = {self.node_base}\nrtp_port_base = {self.rtp_base}\n' + extra
            # last: ``extra`` may begin with more [media] keys
            + ("" if discovery else "\n[discovery]\nenabled = false\n"))
        self.log_path = workdir / "callbox.out"
        self.proc: subprocess.Popen[bytes] | None = None
        self._client: Client | None = None

    @property
    def var(self) -> Path:
        if self.var_tmpfs and self.proc is not None and self.proc.poll() is None:
            return Path(f"/proc/{self.proc.pid}/root") / (self.dir / "var").relative_to("/")
        return self.dir / "var"

    @property
    def web(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def start(self, timeout: float = 90.0) -> "Appliance":
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self._log = open(self.log_path, "wb")
        argv = [sys.executable, "-m", "firmware.cli", "run", "--config", str(self.config)]
        if self.var_tmpfs:
            var = self.dir / "var"
            var.mkdir(parents=True, exist_ok=True)
            argv = ["unshare", "-m", "--propagation", "private", "sh", "-c",
                    f'mount -t tmpfs -o size={self.var_tmpfs} callbox-var "$0" && exec "$@"',
                    str(var), *argv]
        self.proc = subprocess.Popen(argv, cwd=ROOT, stdout=self._log,
                                     stderr=subprocess.STDOUT, env=env)
        try:
            wait_for(self._healthy, timeout, f"appliance health ok (log: {self.log_path})")
            self._exited()
        except BaseException:
            self.stop()
            raise
        return self

    def _exited(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise AssertionError(f"appliance exited with {self.proc.returncode}:\n{self.log()}")

    def _healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            return True             # not healthy, but nothing to wait for: start() says why
        with urllib.request.urlopen(self.web + "/api/health", timeout=5) as r:
            return json.loads(r.read()).get("status") == "ok"

    def client(self) -> Client:
        """A web session logged in as the demo admin (CSRF token from the login form)."""
        if self._client is None:
            c = Client(self.web)
            token = c.get("/login").form_token()
            reply = c.post("/login", {"csrf": token, "username": "admin",
                                      "password": self.credentials()["admin"]},
                           headers={"Origin": self.web})
            assert reply.status in (302, 303), f"login failed: {reply.status} {reply.text[:300]}"
            self._client = c
        return self._client

    def health(self) -> dict[str, Any]:
        """The full health report (details need a logged-in session)."""
        reply = self.client().get("/api/health")
        return reply.json()

    def calls(self, **params: str) -> dict[str, Any]:
        from urllib.parse import urlencode
        return self.client().get("/api/calls?" + urlencode(params)).json()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-20000:]

    def credentials(self) -> dict[str, str]:
        """The demo logins the box wrote at first start (``{"admin": pw, "201": pw, ...}``)."""
        path = self.var / demo.credentials_path(config.load(self.config)).name
        creds = demo.read_credentials_at(path)
        assert creds, f"no credentials in {path}"
        return creds

    def registered(self, seat: str) -> bool:
        return seat in self.health()["components"]["kamailio"].get("registered_seats", [])

    def query(self, sql: str, *args: Any) -> list[dict[str, Any]] | list[sqlite3.Row]:
        if self.var_tmpfs and self.proc is not None and self.proc.poll() is None:
            return self._query_inside(sql, *args)
        db = sqlite3.connect(f"file:{self.var / 'callbox.db'}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql, args).fetchall()
        finally:
            db.close()

    def _query_inside(self, sql: str, *args: Any) -> list[dict[str, Any]]:
        """SQLite resolves the /proc/<pid>/root link back to our own mount namespace, so a
        tmpfs var/ is read by a Python run inside the box's namespace instead."""
        assert self.proc is not None
        code = ("import json, sqlite3, sys; db = sqlite3.connect(sys.argv[1], uri=True, timeout=10);"
                " db.row_factory = sqlite3.Row;"
                " print(json.dumps([dict(r) for r in db.execute(sys.argv[2], json.loads(sys.argv[3]))]))")
        out = subprocess.run(
            ["nsenter", f"--mount=/proc/{self.proc.pid}/ns/mnt", sys.executable, "-c", code,
             f"file:{self.dir / 'var' / 'callbox.db'}?mode=ro", sql, json.dumps(list(args))],
            capture_output=True, text=True, timeout=30, check=True)
        rows: list[dict[str, Any]] = json.loads(out.stdout)
        return rows

    def stop(self, timeout: float = 30.0) -> int:
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
        return self.proc.returncode
