"""``/api/openapi.json`` against the routes: every API route documented, every documented
operation a route, each with the permission the route declares."""
from __future__ import annotations

from typing import Any

import bottle

from tests.webui.support import Web
from webui.app import make_app
from webui.openapi import openapi_path
from webui.routing import spec_of


class _NoDaemonApi:
    def secret(self, name: str) -> bytes:
        return bytes(32)


def app_and_doc() -> tuple[bottle.Bottle, dict[str, Any]]:
    app = make_app(_NoDaemonApi())  # type: ignore[arg-type]
    return app, app.config["callbox.openapi"]


def test_every_api_route_is_documented_and_every_documented_operation_exists() -> None:
    app, doc = app_and_doc()
    routes = {(openapi_path(r.rule), r.method.lower()) for r in app.routes
              if r.rule.startswith("/api/")}
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert routes - documented == set(), "routes missing from the document"
    assert documented - routes == set(), "documented operations with no route"
    assert len(routes) >= 40


def test_each_operation_names_the_routes_permission_and_its_errors() -> None:
    app, doc = app_and_doc()
    for route in app.routes:
        spec = spec_of(route)
        assert spec is not None
        if not route.rule.startswith("/api/"):
            continue
        op = doc["paths"][openapi_path(route.rule)][route.method.lower()]
        wanted = spec.permission if isinstance(spec.permission, str) else list(spec.permission)
        assert op["x-permission"] == wanted, route.rule
        assert op["summary"], route.rule
        if spec.permission != "public":
            assert {"401", "403"} <= set(op["responses"]), route.rule
        for name in spec.query:
            assert any(p["name"] == name and p["in"] == "query"
                       for p in op.get("parameters", [])), (route.rule, name)


def test_the_document_loads_in_an_independent_openapi_tool() -> None:
    import schemathesis
    schema = schemathesis.openapi.from_dict(app_and_doc()[1])
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) == sum(len(v) for v in app_and_doc()[1]["paths"].values())


def test_the_served_document_is_the_generated_one(web: Web) -> None:
    r = web.client().get("/api/openapi.json")
    assert r.status == 200 and r.json() == web.app.config["callbox.openapi"]
    assert r.json()["openapi"].startswith("3.")
