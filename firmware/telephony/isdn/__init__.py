"""ISDN PRI signalling: Q.921 LAPD and Q.931 (ETSI DSS1), user and network side.

Sans-I/O: ``Q921Link`` takes frames from the card's HDLC controller through
``receive()`` and hands frames out through a ``send_frame`` callable;
``Q931`` sits on it and talks to the layer above through events and ``Call``
commands. Time is an injected ``acd_core.clock.Clock``. See docs/isdn.md.
"""
from firmware.telephony.isdn.call import Call
from firmware.telephony.isdn.errors import (
    IsdnError, LapdDecodeError, NoChannelAvailable, Q931DecodeError,
)
from firmware.telephony.isdn.events import (
    Alerting, CallSummary, ChannelRestarted, Connected, DigitsReceived, Disconnected, Event,
    IncomingCall, LinkDown, LinkUp, Proceeding, Progress, Released, RestartFailed,
)
from firmware.telephony.isdn.lapd import LapdFrame, Role
from firmware.telephony.isdn.messages import Message, MessageType
from firmware.telephony.isdn.q921 import Q921Link
from firmware.telephony.isdn.q931 import E1_B_CHANNELS, Q931
from firmware.telephony.isdn.timers import TIMERS

__all__ = [
    "Alerting", "Call", "CallSummary", "ChannelRestarted", "Connected", "DigitsReceived",
    "Disconnected", "E1_B_CHANNELS", "Event", "IncomingCall", "IsdnError", "LapdDecodeError",
    "LapdFrame", "LinkDown", "LinkUp", "Message", "MessageType", "NoChannelAvailable",
    "Proceeding", "Progress", "Q921Link", "Q931", "Q931DecodeError", "Released",
    "RestartFailed", "Role", "TIMERS",
]
