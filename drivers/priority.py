"""The scheduling priority of the threads that carry audio.

On a 2-core box the web UI, a report, a backup or an import can keep both cores busy
for a while; audio cannot wait that long. A thread that moves a caller's audio (a
media node's bridge clock and RTP threads, the card's ``drivers`` and ``tdm`` threads)
and waits 40 ms for a core puts a hole into what it carries, and a hole in a key
press is, to a Q.24 DTMF receiver, two presses (seen on a loaded 2-core run: ticket
"1" read as "11"). So those threads run ``AUDIO_NICE_STEP`` nice steps above the
process that started them, where that is allowed (root or CAP_SYS_NICE, as on the
appliance); elsewhere they keep their priority and the caller logs why.

Linux keeps a nice value per thread and a new thread inherits its creator's, so a
process raises its main thread before it starts the threads that should share it.
"""
from __future__ import annotations

import os
import threading

AUDIO_NICE_STEP = -10
HIGHEST = -20


def raise_audio_priority(step: int = AUDIO_NICE_STEP) -> tuple[int, str]:
    """Lower the calling thread's nice value by ``step``'s size (not below -20).

    Returns ``(nice, why)``: the thread's nice value afterwards and, when it could not
    be changed, the reason (empty when it was)."""
    tid = threading.get_native_id()
    current = os.getpriority(os.PRIO_PROCESS, tid)
    wanted = max(HIGHEST, current + step)
    try:
        os.setpriority(os.PRIO_PROCESS, tid, wanted)
    except OSError as exc:
        return current, f"kept: {exc.strerror or exc}"
    return wanted, ""
