"""Rendering: the page frame (navigation for what the principal may use), formats.

Every page is rendered through ``page()``, which hands the template the
logged-in user (name, role, CSRF token) and the navigation entries the
principal's permissions allow, so error pages keep them too.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import bottle
from bottle import request

from firmware.crm.permissions import Principal

HERE = Path(__file__).resolve().parent
VIEWS = str(HERE / "views")

#: (label, address, permissions any of which shows it)
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Desk", "/desk", ("calls.read",)),
    ("Wallboard", "/wallboard", ("supervise",)),
    ("Calls", "/calls", ("calls.read", "calls.read_all")),
    ("Customers", "/customers", ("customers.read",)),
    ("Tickets", "/tickets", ("tickets.read",)),
    ("Recordings", "/recordings", ("recordings.play", "recordings.download")),
    ("Reports", "/reports", ("reports.read",)),
    ("Admin", "/admin", ("users.admin", "queues.admin", "records.admin", "audit.read",
                         "customers.admin", "tickets.admin", "system.admin", "system.backup",
                         "surveys.admin", "desk.admin", "rating.admin",
                         "campaigns.admin")),
)


def nav_for(p: Principal | None) -> list[dict[str, Any]]:
    if p is None:
        return []
    here = request.path
    return [{"label": label, "href": href,
             "current": here == href or here.startswith(href + "/")}
            for label, href, perms in NAV if any(p.can(x) for x in perms)]


def home_for(p: Principal) -> str:
    """Where a login lands: the admin pages, the wallboard, the desk, else the first entry."""
    for perms, href in ((("users.admin", "queues.admin"), "/admin"), (("supervise",), "/wallboard"),
                        (("calls.read",), "/desk")):
        if any(p.can(x) for x in perms):
            return href
    entries = nav_for(p)
    return entries[0]["href"] if entries else "/account"


def user_view(p: Principal | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {"username": p.user, "role": p.role, "seat": p.seat,
            "csrf": request.environ.get("callbox.csrf") or "",
            "permissions": sorted(p.permissions)}


def render(name: str, **kw: Any) -> str:
    return bottle.template(name, template_lookup=[VIEWS], **kw)


def page(name: str, title: str, **kw: Any) -> str:
    p = request.environ.get("callbox.principal")
    return render(name, title=title, user=user_view(p), nav=nav_for(p),
                  can=(p.can if p is not None else (lambda _x: False)), **kw)


def redirect(url: str) -> NoReturn:
    """303 See Other (keeps cookies set on ``response``), typed as never returning."""
    bottle.redirect(url, 303)
    raise AssertionError("bottle.redirect returned")


def local_time(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).astimezone() \
        .strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: float | None) -> str:
    if not seconds:
        return "0:00"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}" if s >= 3600 \
        else f"{s // 60}:{s % 60:02d}"


def percent(v: float | None) -> str:
    return "–" if v is None else f"{v * 100:.0f} %"
