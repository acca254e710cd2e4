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

from firmware.errors import CallboxError

log = logging.getLogger("callbox.discovery")

LOOKUP_MS = 1500        # how long another device may take to answer for a name
MAX_SAME_SERIAL = 9     # "Callbox <serial>" .. "Callbox <serial>-9"


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

    def _free_suffix(self, zc: Zeroconf) -> str:
        """The first of "", "-2", "-3" ... whose web service nobody here answers for.

        zeroconf's own probe also renames, but it gives the other device about half a
        second to answer, which a busy device can miss; asking first gives it
        ``LOOKUP_MS``."""
        for n in range(1, MAX_SAME_SERIAL + 1):
            suffix = "" if n == 1 else f"-{n}"
            name = f"Callbox {self.serial}{suffix}._http._tcp.local."
            if zc.get_service_info("_http._tcp.local.", name, timeout=LOOKUP_MS) is None:
                return suffix
        raise CallboxError("mDNS: every name for this serial is taken on the network; "
                           "not announcing this box", serial=self.serial,
                           tried=MAX_SAME_SERIAL)

    def start(self) -> None:
        zc = self._zc = Zeroconf(interfaces=[self.address], ip_version=IPVersion.V4Only)
        try:
            self._register(zc)
        except BaseException:
            self.stop()
            raise

    def _register(self, zc: Zeroconf) -> None:
        wanted = self.services[0].name
        suffix = self._free_suffix(zc)
        if suffix:
            self.services = self._infos(suffix)
        web = self.services[0]
        asked = web.name
        zc.register_service(web, allow_name_change=True)
        if web.name != asked:
            # zeroconf's probe found the name taken after all, and renamed the web service
            # only: the host name would still be shared, and phones resolving it could
            # reach the other box. Everything takes the same "-N".
            suffix = web.name[:-len(web.type) - 1][len(f"Callbox {self.serial}"):]
            zc.unregister_service(web)
            self.services = self._infos(suffix)
            zc.register_service(self.services[0], allow_name_change=True)
        if suffix:
            # a blank EEPROM reads "unknown"; simulated boxes share one serial
            log.warning("mdns name taken name=%s announcing=%s (another device on this "
                        "network announces the same serial)", wanted, self.services[0].name)
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
