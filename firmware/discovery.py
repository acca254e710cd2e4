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
        self.serial = serial
        self._ports = (web_port, sip_port)
        self._txt = ({"product": "callbox", "serial": serial, "version": version, "path": "/"},
                     {"product": "callbox", "serial": serial, "realm": realm,
                      "transport": "udp"})
        self.services = self._infos("")
        self._zc: Zeroconf | None = None

    def _infos(self, suffix: str) -> list[ServiceInfo]:
        """The two services named ``Callbox <serial><suffix>`` on host
        ``callbox-<serial><suffix>.local.``."""
        host = _host_label(self.serial) + suffix + ".local."
        name = f"Callbox {self.serial}{suffix}"
        addr = [socket.inet_aton(self.address)]
        return [ServiceInfo(kind, f"{name}.{kind}", port=port, addresses=addr, server=host,
                            properties=txt)
                for kind, port, txt in zip(("_http._tcp.local.", "_sip._udp.local."),
                                           self._ports, self._txt)]

    def start(self) -> None:
        zc = self._zc = Zeroconf(interfaces=[self.address], ip_version=IPVersion.V4Only)
        web, wanted = self.services[0], self.services[0].name
        zc.register_service(web, allow_name_change=True)
        if web.name != wanted:
            # Another device here announces this serial (a blank EEPROM reads "unknown";
            # simulated boxes share one). zeroconf renamed the web service only: the host
            # name would still be shared, and phones resolving it could reach the other
            # box. Everything takes the same "-N".
            suffix = web.name[:-len(web.type) - 1][len(f"Callbox {self.serial}"):]
            zc.unregister_service(web)
            self.services = self._infos(suffix)
            log.warning("mdns name taken name=%s announcing=%s (another device on this "
                        "network announces the same serial)", wanted, self.services[0].name)
            zc.register_service(self.services[0], allow_name_change=True)
        for info in self.services[1:]:
            zc.register_service(info, allow_name_change=True)
        for info in self.services:
            log.info("mdns announced name=%s port=%s host=%s", info.name, info.port,
                     info.server)

    def stop(self) -> None:
        if self._zc is None:
            return
        try:
            self._zc.unregister_all_services()
        finally:
            self._zc.close()
            self._zc = None
