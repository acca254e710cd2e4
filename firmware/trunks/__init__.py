"""Trunks: SIP trunks, line groups and the outbound route table (call-features.md §4).

``Trunks.dial(near_leg, number, caller_id=None)`` reaches the outside; SIP trunks are
``SipTrunkGroup`` objects kept by ``SipTrunks``; E1/FXO groups register themselves.
"""
from firmware.errors import DialStringError, RouteError, TrunksBusy
from firmware.trunks.groups import GroupBusy, TrunkGroup
from firmware.trunks.routes import Plan, RouteTable
from firmware.trunks.sip import SipTrunkGroup, SipTrunks
from firmware.trunks.trunks import Trunks, blocked_record

__all__ = ["Trunks", "TrunkGroup", "GroupBusy", "SipTrunkGroup", "SipTrunks", "RouteTable",
           "Plan", "RouteError", "DialStringError", "TrunksBusy", "blocked_record"]
