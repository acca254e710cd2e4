"""The route modules, one per area; ``webui.app.make_app`` installs them in this order."""
from __future__ import annotations

from webui.routes import (admin, auth, calls, crm, desk, imports, meta, recordings, reports,
                          tickets, wallboard)

ROUTE_MODULES = (meta, auth, calls, desk, wallboard, crm, imports, tickets, recordings, reports,
                 admin)
