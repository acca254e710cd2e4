"""Permissions, the built-in roles and the principal every API call carries.

The permission list is a table (name -> one line of text) that the role editor
shows and the API enforces; built-in roles are fixed sets of it, defined here
and not in the database, so a firmware update that adds a permission gives it
to the built-in roles that should have it without a migration. Custom roles
are any subset, kept in ``role_permissions``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from firmware.errors import ApiError

PERMISSIONS: dict[str, str] = {
    "customers.read": "list, search and open customers; timeline; screen pop",
    "customers.write": "create and edit customers and notes",
    "customers.delete": "delete customers",
    "customers.import": "import customers from CSV or XLSX",
    "customers.admin": "custom fields, shared views, CRM settings",
    "numbers.unmasked": "see caller numbers and customer phone numbers in full",
    "tickets.read": "list and open tickets",
    "tickets.write": "create tickets, comment, move them through their states",
    "tickets.assign": "assign tickets to any agent or team",
    "tickets.admin": "ticket types and the SLA table",
    "kb.read": "read announcements and knowledge notes",
    "kb.write": "write announcements and knowledge notes",
    "surveys.read": "read survey results",
    "surveys.admin": "define questionnaires",
    "calls.read": "own calls (the CDRs of the principal's seat)",
    "calls.read_all": "every call, queue events and recording metadata",
    "recordings.play": "play a recording",
    "recordings.download": "download a recording file",
    "recordings.delete": "delete a recording",
    "export": "export customers, tickets, calls and queue events",
    "reports.read": "KPI reports and cost totals",
    "rating.admin": "rate tables per trunk and re-rating",
    "records.admin": "retention rules, purge, privacy export and erase of a number",
    "audit.read": "read and verify the audit log",
    "users.admin": "users, roles, teams and API tokens",
    "queues.admin": "queues, IVR menus, seats, DIDs and trunks",
    "supervise": "wallboard and live supervision: listen, whisper, barge, intercept, force "
                 "an agent's state",
    "desk.agent": "the agent desk: own log-in, pause and wrap-up, own calls (hold, transfer, "
                  "conference, pickup)",
    "desk.outbound": "outbound calls from the desk or the seat (click-to-call)",
    "recordings.control": "start and stop recording a call on demand",
    "desk.admin": "dispositions, pause reasons, recording rules, queues' outbound caller ID",
    "campaigns.admin": "outbound campaigns, their lists and the do-not-call list",
    "system.backup": "online backup",
    "system.admin": "the system page: network, time, logs, self-test, checking a backup to "
                    "restore, firmware update",
}

_ALL = frozenset(PERMISSIONS)
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    "admin": _ALL,
    "supervisor": frozenset({
        "customers.read", "customers.write", "customers.delete", "customers.import",
        "numbers.unmasked", "tickets.read", "tickets.write", "tickets.assign", "tickets.admin",
        "kb.read", "kb.write", "surveys.read", "surveys.admin", "calls.read", "calls.read_all",
        "recordings.play", "recordings.download", "export", "reports.read", "supervise",
        "desk.agent", "desk.outbound", "recordings.control", "desk.admin", "campaigns.admin"}),
    "team_leader": frozenset({
        "customers.read", "customers.write", "tickets.read", "tickets.write", "tickets.assign",
        "kb.read", "kb.write", "surveys.read", "calls.read", "calls.read_all",
        "recordings.play", "reports.read", "supervise", "desk.agent", "desk.outbound",
        "recordings.control"}),
    "agent": frozenset({
        "customers.read", "customers.write", "tickets.read", "tickets.write", "kb.read",
        "calls.read", "desk.agent", "desk.outbound", "recordings.control"}),
    "auditor": frozenset({
        "audit.read", "customers.read", "tickets.read", "calls.read_all", "reports.read"}),
}

ESCALATION_ROLES = ("agent", "team_leader", "supervisor")   # level 0, 1, 2


class PermissionDenied(ApiError):
    """The principal lacks a permission; carries ``permission`` (status 403)."""

    def __init__(self, permission: str, user: str, what: str = "") -> None:
        super().__init__(f"{user} may not {what or permission}", status=403,
                         permission=permission)


def check_permissions(names: Iterable[str]) -> frozenset[str]:
    out = frozenset(names)
    unknown = sorted(out - _ALL)
    if unknown:
        raise ApiError(f"unknown permission {unknown[0]!r}", status=400, field="permissions",
                       expected="names from the permission catalogue")
    return out


@dataclass(frozen=True)
class Principal:
    """Who is asking: a web user, an integration token or the daemon itself."""
    user: str
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    team: str | None = None
    team_id: int | None = None
    seat: str | None = None
    via: str = "session"

    @classmethod
    def system(cls, name: str) -> "Principal":
        return cls(f"system:{name}", "admin", _ALL, via="system")

    def can(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str, what: str = "") -> None:
        if permission not in PERMISSIONS:           # a typo must not silently deny/allow
            raise KeyError(f"unknown permission {permission!r}")
        if permission not in self.permissions:
            raise PermissionDenied(permission, self.user, what)

    @property
    def unmasked(self) -> bool:
        return "numbers.unmasked" in self.permissions

    def to_dict(self) -> dict[str, Any]:
        return {"user": self.user, "role": self.role, "permissions": sorted(self.permissions),
                "team": self.team, "seat": self.seat, "via": self.via}
