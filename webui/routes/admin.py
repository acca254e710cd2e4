"""(being written)"""
from __future__ import annotations

from webui.access import AccessPlugin, WebUi
from webui.routing import Router

TAG = "admin"


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    return None
