"""Numeric codes the engine's compiled modules share: activities, statuses, call
states, strategies, timer kinds.

Plain Python on purpose (no ``.pxd``): each compiled module of the engine reads
these once at import into its own C ints (declared in its ``.pxd``), which is as
fast as a constant and keeps one definition of every code.
"""
from __future__ import annotations

INF = float("inf")

# agent activity
IDLE = 0
RINGING = 1
ONCALL = 2
WRAPUP = 3

# derived agent status (what AgentState reports, and what join/leave-empty count)
S_LOGGED_OUT = 0
S_UNREACHABLE = 1
S_PAUSED = 2
S_WRAPUP = 3
S_RINGING = 4
S_ONCALL = 5
S_RESTING = 6
S_AVAILABLE = 7
STATUS_NAMES = ("logged-out", "unreachable", "paused", "wrap-up", "ringing", "on-call",
                "resting", "available")
CONDITION_BITS = {"unavailable": (1 << S_LOGGED_OUT) | (1 << S_UNREACHABLE),
                  "paused": 1 << S_PAUSED, "wrapup": 1 << S_WRAPUP, "ringing": 1 << S_RINGING,
                  "in-use": 1 << S_ONCALL, "resting": 1 << S_RESTING}

# call state
C_WAITING = 0
C_RINGING = 1
C_CONNECTED = 2
C_DONE = 3

# strategies (index into model.STRATEGIES)
RING_ALL = 0
LONGEST_IDLE = 1
ROUND_ROBIN = 2
FEWEST_CALLS = 3
LEAST_TALK = 4
LINEAR = 5
RANDOM = 6
WEIGHTED_RANDOM = 7
PROGRESSIVE = 8
METRIC_NAMES = ("penalty", "idle_since", "rr_order", "calls", "talk_time", "position",
                "random", "weight", "position")

# timer kinds
T_WRAP = 0
T_REST = 1
T_RING = 2
T_STEP = 3
T_MAXWAIT = 4
T_ESC = 5
T_ANN = 6
T_CBOFFER = 7

TICK_CODE = 13
