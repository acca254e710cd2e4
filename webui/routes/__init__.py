"""The route modules, one per area; ``webui.app.make_app`` installs them in this order."""
from __future__ import annotations

from webui.routes import (admin, auth, calls, campaigns_admin, crm, crm_admin, desk,
                          desk_admin, imports, inbound_admin, meta, rating_admin, recordings,
                          reports, surveys_admin, system_admin, tickets, wallboard)

ROUTE_MODULES = (meta, auth, calls, desk, wallboard, crm, imports, crm_admin, tickets, recordings,
                 reports, admin, inbound_admin, surveys_admin, desk_admin, rating_admin,
                 campaigns_admin, system_admin)
