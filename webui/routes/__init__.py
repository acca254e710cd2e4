"""The route modules, one per area; ``webui.app.make_app`` installs them in this order."""
from __future__ import annotations

from webui.routes import (admin, auth, calls, crm, crm_admin, desk, imports, inbound_admin,
                          meta, recordings, reports, system_admin, tickets, wallboard)

ROUTE_MODULES = (meta, auth, calls, desk, wallboard, crm, imports, crm_admin, tickets, recordings,
                 reports, admin, inbound_admin, system_admin)
