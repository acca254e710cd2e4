"""The route modules, one per area; ``webui.app.make_app`` installs them in this order."""
from __future__ import annotations

from webui.routes import (admin, auth, calls, crm, crm_admin, desk, desk_admin, imports,
                          inbound_admin, meta, recordings, reports, surveys_admin,
                          system_admin, tickets, wallboard)

ROUTE_MODULES = (meta, auth, calls, desk, wallboard, crm, imports, crm_admin, tickets, recordings,
                 reports, admin, inbound_admin, surveys_admin, desk_admin, system_admin)
