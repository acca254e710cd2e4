"""JSON-RPC 2.0 client for Kamailio's ``jsonrpcs`` Unix datagram socket.

Each call binds its own client socket next to the server socket (Kamailio sends
the reply to the sender's address), sends one request datagram and reads one
reply datagram. Sockets are private to the daemon's user (mode 0600 on the
server side, the run directory on ours).
"""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import socket
from pathlib import Path
from typing import Any

from acd_core.clock import Clock
from firmware.clock import LoopClock, wait_for
from firmware.errors import EdgeError
from firmware.timers import TIMERS

MAX_REPLY = 1 << 20
_serial = itertools.count(1)


class JsonRpcClient:
    def __init__(self, server: Path, client_dir: Path, clock: Clock | None = None) -> None:
        self.server = server
        self.client_dir = client_dir
        self.clock: Clock = clock or LoopClock()

    async def call(self, method: str, *params: Any,
                   timeout: float = TIMERS["edge.rpc_timeout"]) -> Any:
        """Run ``method``; returns its ``result`` or raises ``EdgeError``."""
        loop = asyncio.get_running_loop()
        ident = next(_serial)
        request: dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": ident}
        if params:
            request["params"] = list(params)
        path = self.client_dir / f"rpc-{os.getpid()}-{ident}.sock"
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            try:
                sock.bind(str(path))
                await loop.sock_sendto(sock, json.dumps(request).encode(), str(self.server))
                data = await wait_for(self.clock, loop.sock_recv(sock, MAX_REPLY), timeout)
            except (OSError, asyncio.TimeoutError) as exc:
                reason = "no reply" if isinstance(exc, asyncio.TimeoutError) else str(exc)
                raise EdgeError(f"kamailio rpc {method} failed: {reason}", what="rpc",
                                method=method, socket=str(self.server)) from None
            finally:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
        try:
            reply = json.loads(data)
        except ValueError:
            raise EdgeError(f"kamailio rpc {method}: reply is not JSON", what="rpc",
                            method=method, reply=data[:200]) from None
        if not isinstance(reply, dict) or reply.get("id") != ident:
            raise EdgeError(f"kamailio rpc {method}: unexpected reply", what="rpc",
                            method=method, reply=data[:200])
        if "error" in reply:
            err = reply["error"] if isinstance(reply["error"], dict) else {}
            raise EdgeError(f"kamailio rpc {method}: {err.get('message', 'error')}", what="rpc",
                            method=method, code=err.get("code"))
        return reply.get("result")


def contacts_by_user(ul_dump: Any) -> dict[str, list[str]]:
    """``ul.dump`` result -> {AoR user: [contact URI, ...]} for unexpired contacts."""
    out: dict[str, list[str]] = {}
    try:
        for dom in ul_dump.get("Domains", []):
            for aor in dom["Domain"].get("AoRs", []):
                info = aor["Info"]
                uris = [c["Contact"]["Address"] for c in info.get("Contacts", [])
                        if c["Contact"].get("Expires") != "expired"]
                if uris:
                    out[str(info["AoR"])] = uris
    except (AttributeError, KeyError, TypeError):
        raise EdgeError("kamailio ul.dump reply has an unexpected shape", what="rpc",
                        method="ul.dump") from None
    return out


def dialog_ids(profile_list: Any) -> list[tuple[int, int]]:
    """``dlg.profile_list`` result -> ``[(h_entry, h_id), ...]`` of the listed dialogs."""
    items = profile_list if isinstance(profile_list, list) else [profile_list]
    out = []
    try:
        for item in items:
            if not item:
                continue
            dlg = item.get("dialog", item) if isinstance(item, dict) else None
            if dlg is None:
                raise TypeError(item)
            out.append((int(dlg["h_entry"]), int(dlg["h_id"])))
    except (AttributeError, KeyError, TypeError, ValueError):
        raise EdgeError("kamailio dlg.profile_list reply has an unexpected shape", what="rpc",
                        method="dlg.profile_list") from None
    return out


UAC_REG_ONLINE = 1 << 2     # uac_reg.c: the registration was accepted and is current


def _shape_error(method: str) -> EdgeError:
    return EdgeError(f"kamailio {method} reply has an unexpected shape", what="rpc",
                     method=method)


def probe_states(ds_list: Any) -> dict[str, bool | None]:
    """``dispatcher.list`` result -> {trunk: reachable}: True while active, False once
    inactive or disabled, None when the trunk is not kept alive (not probed)."""
    out: dict[str, bool | None] = {}
    if ds_list is None:            # no destination at all
        return out
    try:
        for record in ds_list.get("RECORDS", []):
            for target in record["SET"].get("TARGETS", []):
                dest = target["DEST"]
                attrs = dict(item.partition("=")[::2] for item in
                             str(dest["ATTRS"]["BODY"] or "").split(";") if item)
                name, flags = attrs.get("trunk"), str(dest["FLAGS"])
                if not name or len(flags) < 2:
                    continue
                out[name] = None if flags[1] != "P" else flags[0] == "A"
    except (AttributeError, KeyError, TypeError):
        raise _shape_error("dispatcher.list") from None
    return out


def registration_states(reg_dump: Any) -> dict[str, bool]:
    """``uac.reg_dump`` result -> {trunk (the registration's l_uuid): registered now}."""
    try:
        return {str(r["l_uuid"]): bool(int(r["flags"]) & UAC_REG_ONLINE)
                for r in (reg_dump or [])}
    except (KeyError, TypeError, ValueError):
        raise _shape_error("uac.reg_dump") from None


def htable_keys(dump: Any) -> list[str]:
    """``htable.dump`` result -> the keys held (for ``ipban``: the banned addresses)."""
    try:
        return sorted(str(item["name"]) for entry in (dump or []) for item in entry["slot"])
    except (KeyError, TypeError):
        raise _shape_error("htable.dump") from None
