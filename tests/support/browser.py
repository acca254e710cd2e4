"""Debian's Chromium, driven by Playwright, kept off the network.

The flags are those of docs/reference/test-peers.md#chromium-driven-by-playwright;
``--host-resolver-rules`` keeps it
from resolving any name but the loopback (without it Chromium looks up Google
hosts even with background networking off).
"""
from __future__ import annotations

import os

import pytest

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"]

needs_chromium = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                    reason=f"{CHROMIUM} is not installed (Debian package chromium)")
