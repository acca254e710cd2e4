"""Capture Q.931 messages and LAPD frames libpri sends into tests/data/q931 and q921.

Run once by hand (``.venv/bin/python -m tests.telephony.isdn.capture_libpri_vectors``);
the files are committed. Each vector is named for its content and is what libpri
1.6.0 put on the D-channel, so the round-trip tests check our codec against
octets we did not write.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from firmware.telephony.isdn import IncomingCall, Released
from tests.support.libpri import (
    PRES_PROHIB_USER_NUMBER_NOT_SCREENED, PRI_INTERNATIONAL_ISDN, PRI_NATIONAL_ISDN,
)
from tests.telephony.isdn.bench import Bench

DATA = Path(__file__).resolve().parents[2] / "data"


def _rx(b: Bench, mtype: int, nth: int = 0) -> bytes:
    found = [bytes(m) for d, m in b.messages if d == "rx" and m.mtype == mtype]
    return found[nth]


def main() -> None:
    out931, out921 = DATA / "q931", DATA / "q921"
    with tempfile.TemporaryDirectory() as tmp:
        b = Bench(Path(tmp), "user", name="capture")
        b.link_up()
        first = b.wire.frames[0][1]
        (out921 / "libpri_sabme_network.bin").write_bytes(first)
        call = b.pri.call("4001", "215551234", channel=5, calling_plan=PRI_NATIONAL_ISDN,
                          calling_pres=PRES_PROHIB_USER_NUMBER_NOT_SCREENED)
        inc = b.run_until("IncomingCall", lambda: b.our(IncomingCall))[0]
        (out931 / "libpri_setup_calling_number_presentation_restricted.bin").write_bytes(
            _rx(b, 0x05))
        i_frame = next(f for out, f in b.wire.frames if not out and f[2] & 1 == 0)
        (out921 / "libpri_i_frame_setup.bin").write_bytes(i_frame)
        inc.call.alerting()
        inc.call.answer()
        b.run_until("CONNECT ACK", lambda: any(m.mtype == 0x0F for d, m in b.messages if d == "rx"))
        (out931 / "libpri_connect_acknowledge.bin").write_bytes(_rx(b, 0x0F))
        b.pri.hangup(call, 17)
        b.run_until("Released", lambda: b.our(Released))
        (out931 / "libpri_disconnect_cause_17_user_busy.bin").write_bytes(_rx(b, 0x45))
        (out931 / "libpri_release_complete.bin").write_bytes(_rx(b, 0x5A))
        b.pri.call("4002", "44205551234", channel=9, calling_plan=PRI_INTERNATIONAL_ISDN,
                   redirecting="4099")
        b.run_until("second call", lambda: len(b.our(IncomingCall)) == 2)
        (out931 / "libpri_setup_international_calling_redirecting_number.bin").write_bytes(
            _rx(b, 0x05, 1))
        b.pri.reset(9)
        b.run_until("RESTART", lambda: any(m.mtype == 0x46 for d, m in b.messages if d == "rx"))
        (out931 / "libpri_restart_channel_9.bin").write_bytes(_rx(b, 0x46))
        b.run_for(0.1)
        rr = next(f for out, f in b.wire.frames if not out and f[2] == 0x01)
        (out921 / "libpri_rr_response.bin").write_bytes(rr)
        b.close()

        n = Bench(Path(tmp), "network", name="capture-net")
        n.link_up()
        ring = n.q931.place_call("5550100", "4000", ts=3)
        r = n.run_until("RING", lambda: n.libpri_event("RING"))
        n.pri.proceeding(r.call, r.channel)
        n.pri.alerting(r.call, r.channel)
        n.pri.answer(r.call, r.channel)
        n.run_until("CONNECT", lambda: any(m.mtype == 0x07 for d, m in n.messages if d == "rx"))
        (out931 / "libpri_call_proceeding_channel_3_exclusive.bin").write_bytes(_rx(n, 0x02))
        (out931 / "libpri_alerting.bin").write_bytes(_rx(n, 0x01))
        (out931 / "libpri_connect.bin").write_bytes(_rx(n, 0x07))
        ring.hangup(16)
        n.run_until("Released", lambda: n.our(Released))
        (out931 / "libpri_release_cause_16.bin").write_bytes(_rx(n, 0x4D))
        n.close()


if __name__ == "__main__":
    main()
