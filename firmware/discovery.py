"""mDNS announcement: the box shows up on the LAN as "Callbox <serial>".

Two services: the web UI (``_http._tcp``) and the SIP edge (``_sip._udp``),
each with TXT records a provisioning tool can read. The instance and host
names carry the board serial, because a site may hold several boxes
(docs/architecture.md#discovery). Bound only to the interface the web UI
listens on, so a box configured for loopback never multicasts on the LAN.
"""
from __future__ import annotations

import logging
import socket

from zeroconf import IPVersion, ServiceInfo, Zeroconf

log = logging.getLogger("callbox.discovery")


def _host_label(serial: str) -> str:
    clean = "".join(c if c.isalnum() else "-" for c in serial.lower()).strip("-")
    return f"callbox-{clean or 'unknown'}"


class Announcer:
    def __init__(self, address: str, web_port: int, sip_port: int, serial: str,
                 version: str, realm: str) -> None:
        self.address = address
        host = _host_label(serial) + ".local."
        name = f"Callbox {serial}"
        addr = [socket.inet_aton(address)]
        self.services = [
            ServiceInfo("_http._tcp.local.", f"{name}._http._tcp.local.", port=web_port,
                        addresses=addr, server=host,
                        properties={"product": "callbox", "serial": serial,
                                    "version": version, "path": "/"}),
            ServiceInfo("_sip._udp.local.", f"{name}._sip._udp.local.", port=sip_port,
                        addresses=addr, server=host,
                        properties={"product": "callbox", "serial": serial,
                                    "realm": realm, "transport": "udp"}),
        ]
        self._zc: Zeroconf | None = None

    def start(self) -> None:
        self._zc = Zeroconf(interfaces=[self.address], ip_version=IPVersion.V4Only)
        for info in self.services:
            self._zc.register_service(info, allow_name_change=True)
            log.info("mdns announced name=%s port=%s", info.name, info.port)

    def stop(self) -> None:
        if self._zc is None:
            return
        try:
            self._zc.unregister_all_services()
        finally:
            self._zc.close()
            self._zc = None
