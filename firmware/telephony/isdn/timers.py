"""Q.921 and Q.931 timers and counters as one table (rows are ``acd_core.timers.TimerSpec``).

Defaults are the ETSI EN 300 403 / Q.921 values for a primary rate access.
``TIMERS.with_overrides({...}, key_prefix="isdn.")`` applies configuration and
refuses a value outside its bounds with a ``ConfigError`` naming the timer;
``TIMERS.describe()`` feeds docs and the web UI.
"""
from __future__ import annotations

from acd_core.timers import TimerSpec, TimerTable

TIMERS = TimerTable(
    TimerSpec("T200", 1.0, "s", "Q.921: wait for the acknowledgement of a frame sent with P=1",
              0.1, 10),
    TimerSpec("N200", 3, "count", "Q.921: retransmissions of a frame before the link is given up",
              1, 10),
    TimerSpec("T203", 10.0, "s", "Q.921: longest idle time before the link is polled", 1, 300),
    TimerSpec("K", 7, "count", "Q.921: I frames outstanding without acknowledgement (SAPI 0, PRI)",
              1, 127),
    TimerSpec("T301", 180.0, "s", "Q.931: ALERTING received, wait for CONNECT", 180, 3600),
    TimerSpec("T302", 15.0, "s", "Q.931: overlap receiving, wait for the next INFORMATION", 1, 60),
    TimerSpec("T303", 4.0, "s", "Q.931: SETUP sent, wait for the first answer (SETUP sent twice)",
              1, 30),
    TimerSpec("T304", 30.0, "s", "Q.931: overlap sending, wait for the answer after INFORMATION",
              1, 120),
    TimerSpec("T305", 30.0, "s", "Q.931: DISCONNECT sent, wait for RELEASE or DISCONNECT", 1, 120),
    TimerSpec("T308", 4.0, "s",
              "Q.931: RELEASE sent, wait for RELEASE COMPLETE (RELEASE sent twice)", 1, 30),
    TimerSpec("T310", 30.0, "s",
              "Q.931: CALL PROCEEDING received, wait for ALERTING/CONNECT/DISCONNECT", 10, 120),
    TimerSpec("T313", 4.0, "s", "Q.931: CONNECT sent, wait for CONNECT ACKNOWLEDGE", 1, 30),
    TimerSpec("T316", 120.0, "s", "Q.931: RESTART sent, wait for RESTART ACKNOWLEDGE", 1, 600),
    TimerSpec("N316", 2, "count", "Q.931: RESTART retransmissions after T316 before giving up",
              0, 10),
)
