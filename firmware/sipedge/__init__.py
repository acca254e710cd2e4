"""The Kamailio SIP edge: config from a template, supervision, table sync, JSON-RPC.

See docs/design/daemon-interfaces.md, "Kamailio edge".
"""
from firmware.sipedge.kamailio import EdgeSettings, KamailioEdge, ha1

__all__ = ["KamailioEdge", "EdgeSettings", "ha1"]
