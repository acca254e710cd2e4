"""The mDNS announcement, checked by an independent resolver (dig) in a private namespace."""
import os
import shutil
import subprocess

import pytest

from firmware.discovery import Announcer
from tests.support.mdns import answer
from tests.support.net import wait_for

pytestmark = [
    pytest.mark.network,
    pytest.mark.skipif(os.environ.get("CALLBOX_IN_NETNS") != "1",
                       reason="mDNS test needs the private network namespace of tests/netns-run"),
    pytest.mark.skipif(shutil.which("dig") is None, reason="dig (bind9-dnsutils) not installed"),
]


def test_web_ui_and_sip_edge_are_announced_with_the_serial() -> None:
    # Loopback has no MULTICAST flag by default; this namespace is ours to change.
    subprocess.run(["ip", "link", "set", "lo", "multicast", "on"], check=True)
    ann = Announcer("127.0.0.1", web_port=18080, sip_port=15060, serial="CBX-0042",
                    version="0.1.0", realm="callbox")
    ann.start()
    try:
        # another box's announcer may answer the browse; ours is among the answers in time
        ours = "Callbox\\032CBX-0042._http._tcp.local."
        wait_for(lambda: ours in answer("_http._tcp.local", "PTR"), 30,
                 "the web UI's instance in the browse answer")
        srv = answer("Callbox\\032CBX-0042._sip._udp.local", "SRV")
        assert srv.split()[2:] == ["15060", "callbox-cbx-0042.local."]
        txt = answer("Callbox\\032CBX-0042._sip._udp.local", "TXT")
        assert '"realm=callbox"' in txt and '"serial=CBX-0042"' in txt
        assert answer("callbox-cbx-0042.local", "A").strip() == "127.0.0.1"
    finally:
        ann.stop()


def test_a_second_box_with_the_same_serial_takes_a_name_and_a_host_of_its_own(
        caplog: pytest.LogCaptureFixture) -> None:
    """Boards with a blank EEPROM all read serial "unknown": the second one must not answer
    for the first one's host name, or a phone resolving it could reach either box."""
    subprocess.run(["ip", "link", "set", "lo", "multicast", "on"], check=True)
    first = Announcer("127.0.0.1", web_port=18082, sip_port=15062, serial="CBX-0077",
                      version="0.1.0", realm="callbox")
    second = Announcer("127.0.0.1", web_port=18083, sip_port=15063, serial="CBX-0077",
                       version="0.1.0", realm="callbox")
    first.start()
    try:
        second.start()
        try:
            assert [(s.name, s.server) for s in second.services] == [
                ("Callbox CBX-0077-2._http._tcp.local.", "callbox-cbx-0077-2.local."),
                ("Callbox CBX-0077-2._sip._udp.local.", "callbox-cbx-0077-2.local.")]
            assert [s.name for s in first.services] == ["Callbox CBX-0077._http._tcp.local.",
                                                        "Callbox CBX-0077._sip._udp.local."]
            assert "another device on this network announces the same serial" in caplog.text
            # only the second box has this name: the first answer is its own
            srv = answer("Callbox\\032CBX-0077-2._sip._udp.local", "SRV")
            assert srv.split()[2:] == ["15063", "callbox-cbx-0077-2.local."]
            assert answer("callbox-cbx-0077-2.local", "A").strip() == "127.0.0.1"
        finally:
            second.stop()
    finally:
        first.stop()
