"""Rate tables (``rating.admin``): what an outgoing call costs, per trunk, at
``/admin/rates`` and under ``/api/rate-tables``; the reports' cost and cost per call come
from them (``firmware.store.rating``: longest matching prefix, billing increment,
connection fee on answered calls).

A table belongs to a trunk and has one currency; each rate is a number prefix (digits,
empty for "anything else") with its price per minute, billing increment and connection
fee. The page changes one rate at a time (the table is stored whole, so a refused rate
leaves the table as it was) and names the field at fault. A change applies to calls
rated from then on; "rate again" re-prices a past window.
"""
from __future__ import annotations

from typing import Any

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi
from webui.forms import attempt, posted
from webui.handlers import INT, OK, STR, args, arr, json_body, me, obj
from webui.pages import page
from webui.params import p_int, parse_time
from webui.routing import Router

TAG = "rating"
MONEY = {"type": ["string", "number"]}
RATE = obj(("prefix", "price_per_min"), prefix={"type": "string", "maxLength": 16},
           price_per_min=MONEY, increment_s={"type": "integer", "minimum": 1, "maximum": 3600},
           connection_fee=MONEY, description={"type": "string", "maxLength": 100})
TABLE = obj(("trunk", "currency", "rates"), trunk=STR, currency=STR, rates=arr(obj(
    (), prefix=STR, price_per_min=STR, increment_s=INT, connection_fee=STR,
    description=STR)))
TABLE_IN = obj(("currency", "rates"), currency={"type": "string", "maxLength": 3},
               rates={"type": "array", "items": RATE, "maxItems": 5000})
RERATE_IN = obj(("since", "until"), since={"type": "number"}, until={"type": "number"},
                trunk={"type": "string", "maxLength": 32})
#: the form's fields of one rate, as the store names them
RATE_FIELDS = ("prefix", "price_per_min", "increment_s", "connection_fee", "description")


def with_rate(tables: list[dict[str, Any]], trunk: str, rate: dict[str, Any]
              ) -> list[dict[str, Any]]:
    """The trunk's rates with ``rate`` added or replacing the one of its prefix; the new
    rate comes first, so a refusal of it is ``rates[0].<field>``."""
    old: list[dict[str, Any]] = next((t["rates"] for t in tables if t["trunk"] == trunk), [])
    prefix = str(rate.get("prefix", "")).lstrip("+")
    return [rate, *(r for r in old if r["prefix"] != prefix)]


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/rate-tables", permission="reports.read", response=arr(TABLE),
           summary="Rate tables per trunk: currency, and per prefix the price per minute, "
           "billing increment and connection fee")
    def api_rate_tables() -> list[dict[str, Any]]:
        return api.rate_tables(me())

    @r.put("/api/rate-tables/<trunk>", permission="rating.admin", body=TABLE_IN,
           response=TABLE, summary="Create or replace a trunk's rate table (whole)")
    def api_put_rate_table(trunk: str) -> dict[str, Any]:
        b = json_body(TABLE_IN)
        api.put_rate_table(me(), trunk, b["currency"], b["rates"])
        return next(t for t in api.rate_tables(me()) if t["trunk"] == trunk)

    @r.delete("/api/rate-tables/<trunk>", permission="rating.admin", response=OK,
              summary="Delete a trunk's rate table (its calls are no longer priced)")
    def api_delete_rate_table(trunk: str) -> dict[str, Any]:
        api.delete_rate_table(me(), trunk)
        return {"ok": True}

    @r.post("/api/rate-tables/rerate", permission="rating.admin", body=RERATE_IN,
            response=obj(("rated",), rated=INT),
            summary="Price again the outgoing calls that started in [since, until)")
    def api_rerate() -> dict[str, Any]:
        b = json_body(RERATE_IN)
        return api.rerate(me(), b["since"], b["until"], b.get("trunk") or None)

    def view(error: str = "", rated: int | None = None) -> str:
        return page("admin_rates", "Rate tables", tables=api.rate_tables(me()), error=error,
                    rated=rated)

    @r.get("/admin/rates", permission="rating.admin", query={"rated": p_int(0, 10**9)},
           summary="Rate tables: the cost of outgoing calls per trunk and prefix")
    def admin_rates() -> str:
        return view(rated=args().get("rated"))

    @r.post("/admin/rates", permission="rating.admin", kind="form",
            summary="Add or change one rate of a trunk's table (form)")
    def admin_rate_save() -> str:
        def save() -> None:
            p, trunk = me(), posted("trunk")
            rate: dict[str, Any] = {k: posted(k) for k in RATE_FIELDS}
            rate["connection_fee"] = rate["connection_fee"] or "0"
            inc = rate.pop("increment_s")
            rate["increment_s"] = int(inc) if inc.isdigit() else (inc or 60)
            try:
                api.put_rate_table(p, trunk, posted("currency").upper(),
                                   with_rate(api.rate_tables(p), trunk, rate))
            except ApiError as exc:
                field = str(exc.context.get("field", ""))
                if not field.startswith(("rates[0].", "rate_table.")):
                    raise
                name = field.split(".", 1)[1]
                said = str(exc).split(" (field=", 1)[0]        # without the context
                raise ApiError(said.replace(field, name, 1), status=exc.status,
                               field=name) from None
        return attempt(view, save, "/admin/rates")

    @r.post("/admin/rates/delete-rate", permission="rating.admin", kind="form",
            summary="Delete one rate of a trunk's table (form)")
    def admin_rate_delete() -> str:
        def delete() -> None:
            p, trunk, prefix = me(), posted("trunk"), posted("prefix")
            table = next((t for t in api.rate_tables(p) if t["trunk"] == trunk), None)
            if table is None:
                raise ApiError(f"no rate table for trunk {trunk!r}", status=404, field="trunk")
            api.put_rate_table(p, trunk, table["currency"],
                               [x for x in table["rates"] if x["prefix"] != prefix])
        return attempt(view, delete, "/admin/rates")

    @r.post("/admin/rates/delete", permission="rating.admin", kind="form",
            summary="Delete a trunk's rate table (form)")
    def admin_rate_table_delete() -> str:
        return attempt(view, lambda: api.delete_rate_table(me(), posted("trunk")),
                       "/admin/rates")

    @r.post("/admin/rates/rerate", permission="rating.admin", kind="form",
            summary="Price again the calls of a window (form)")
    def admin_rerate() -> str:
        def run() -> int:
            times = {}
            for k in ("since", "until"):
                try:
                    times[k] = parse_time(posted(k))
                except ValueError as exc:
                    raise ApiError(f"{k}: expected {exc}", status=400, field=k) from None
            return int(api.rerate(me(), times["since"], times["until"],
                                  posted("trunk") or None)["rated"])
        return attempt(view, run, lambda n: f"/admin/rates?rated={n}")
