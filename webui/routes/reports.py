"""Reports: KPIs by queue, agent, day or hour (``api.kpi``: offered, answered, abandoned,
service level, ASA, AHT from the call records) with SVG charts, the calls behind every
row, CSV/XLSX export; the quality and agent KPIs (``api.quality_kpis``) in total or by
queue, agent or team, with their charts and export at ``/reports/quality``; cost totals;
an Erlang C staffing page from the box's own traffic. Every chart is ``webui.charts``,
every export ``table_file``."""
from __future__ import annotations

import csv
import io
import time
from datetime import datetime, timedelta
from typing import Any, Callable
from urllib.parse import urlencode

from bottle import HTTPResponse

from webui import charts
from webui.access import AccessPlugin, WebUi, fail
from webui.handlers import INT, OPT_NUM, STR, args, arr, me, obj
from webui.pages import page, percent
from webui.params import p_choice, p_int, p_name, parse_time, with_schema
from webui.routing import Router

TAG = "reports"
DAY = 86400.0
KPI_ROW = obj(("offered", "answered", "abandoned"), offered=INT, answered=INT, abandoned=INT,
              service_level=OPT_NUM, asa_s=OPT_NUM, aht_s=OPT_NUM)
KPI_PARAMS = {"by": p_choice("queue", "agent", "day", "hour"), "since": parse_time,
              "until": parse_time, "queue": p_name}
COLUMNS = ("offered", "answered", "abandoned", "service_level", "asa_s", "aht_s")
QUALITY_ROW = obj((), queue=STR, agent=STR, team=STR, key=STR, offered=INT, abandoned=INT,
                  abandon_rate=OPT_NUM, average_abandon_s=OPT_NUM, handled=INT,
                  transferred=INT, transfer_rate=OPT_NUM, occupancy=OPT_NUM,
                  utilization=OPT_NUM, adherence=OPT_NUM, fcr_calls=INT, repeat_calls=INT,
                  fcr=OPT_NUM, csat_answers=INT, csat=OPT_NUM, csat_average=OPT_NUM)
QUALITY_PARAMS = {"by": p_choice("total", "queue", "agent", "team"), "since": parse_time,
                  "until": parse_time, "queue": p_name, "repeat_h": p_int(1, 720)}


def _share(lo: float, hi: float) -> Any:
    def parse(v: str) -> float:
        try:
            x = float(v)
        except ValueError:
            raise ValueError(f"a number {lo:g}-{hi:g}") from None
        if not lo <= x <= hi:
            raise ValueError(f"a number {lo:g}-{hi:g}")
        return x
    return with_schema(parse, {"type": "number", "minimum": lo, "maximum": hi})


#: the quality report's columns, in the export's order
QUALITY_COLUMNS = ("offered", "abandoned", "abandon_rate", "average_abandon_s", "handled",
                   "transferred", "transfer_rate", "occupancy", "utilization", "adherence",
                   "fcr_calls", "repeat_calls", "fcr", "csat_answers", "csat",
                   "csat_average")
#: the quality charts: (title, unit, {series: column}); shares are drawn in percent
QUALITY_CHARTS = (
    ("Abandon, transfer, FCR and CSAT", " %", {
        "abandon rate": "abandon_rate", "transfer rate": "transfer_rate", "FCR": "fcr",
        "CSAT": "csat"}),
    ("Occupancy, utilization and adherence", " %", {
        "occupancy": "occupancy", "utilization": "utilization", "adherence": "adherence"}),
    ("Average abandon time", " s", {"average abandon": "average_abandon_s"}),
)
STAFF_PARAMS = {"since": parse_time, "until": parse_time, "target_sl": _share(0.01, 0.99),
                "target_time": _share(1, 600), "shrinkage": _share(0, 0.9)}


def window(a: dict[str, Any], days: int = 7) -> tuple[float, float]:
    """``since``/``until`` from the query, else the last ``days`` whole local days."""
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    until = a.get("until", (today + timedelta(days=1)).timestamp())
    since = a.get("since", until - days * DAY)
    if until <= since:
        raise fail(400, "until: expected a time after since", parameter="until")
    return since, until


def _day(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(t))


def calls_link(by: str, key: str, since: float, until: float) -> str:
    """The call list behind one row of the report."""
    q: dict[str, Any] = {"since": int(since), "until": int(until)}
    if by in ("queue", "agent") and key:
        q[by] = key
    elif by == "day":
        start = datetime.fromisoformat(key).timestamp()
        q.update(since=int(max(since, start)), until=int(min(until, start + DAY)))
    elif by == "hour":
        start = datetime.fromisoformat(key).timestamp()
        q.update(since=int(max(since, start)), until=int(min(until, start + 3600)))
    return "/calls?" + urlencode(q)


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    def kpi_rows(a: dict[str, Any]) -> tuple[str, float, float, list[dict[str, Any]]]:
        by = a.get("by", "day")
        since, until = window(a)
        rows = api.kpi(me(), by, since, until, a.get("queue"))
        return by, since, until, rows

    @r.get("/api/reports/kpi", permission="reports.read", query=KPI_PARAMS,
           response=arr(KPI_ROW), summary="KPIs per queue, agent, day or hour in a window "
           "(default: the last 7 days)")
    def api_kpi() -> list[dict[str, Any]]:
        return kpi_rows(args())[3]

    @r.get("/api/reports/quality", permission="reports.read", query=QUALITY_PARAMS,
           response=arr(QUALITY_ROW), summary=(
               "Abandon rate and average abandon time, occupancy, utilization, adherence "
               "(schedule agent-<seat>), FCR within repeat_h hours (default 24), CSAT from "
               "surveys and transfer rate, in total or per queue or agent"))
    def api_quality() -> list[dict[str, Any]]:
        return quality_rows(args())[3]

    @r.get("/api/reports/costs", permission="reports.read", query={
        "by": p_choice("trunk", "queue", "agent", "customer"), "since": parse_time,
        "until": parse_time}, response=arr(obj()), summary="Call cost totals")
    def api_costs() -> list[dict[str, Any]]:
        a = args()
        since, until = window(a)
        return api.cost_totals(me(), a.get("by", "trunk"), since, until)

    @r.get("/api/reports/staffing", permission="reports.read", query=STAFF_PARAMS,
           response=arr(obj(("slot", "agents"), slot=STR, agents=INT)),
           summary="Erlang C: agents needed per half hour for a service-level target, from "
           "this box's traffic (default: the last 28 days, 80 % in 20 s)")
    def api_staffing() -> list[dict[str, Any]]:
        return staffing(args())

    def staffing(a: dict[str, Any]) -> list[dict[str, Any]]:
        since, until = window(a, days=28)
        return api.staffing(me(), since, until, a.get("target_sl", 0.8),
                            a.get("target_time", 20.0), a.get("shrinkage", 0.0))

    @r.get("/reports", permission="reports.read", query=KPI_PARAMS,
           summary="KPI report with charts and the calls behind every row")
    def reports_page() -> str:
        a = args()
        by, since, until, rows = kpi_rows(a)
        labels = [str(x[by] or "(none)") for x in rows]
        bar = charts.bars(labels, {"offered": [x["offered"] for x in rows],
                                   "answered": [x["answered"] for x in rows],
                                   "abandoned": [x["abandoned"] for x in rows]},
                          f"Calls by {by}")
        sl = charts.line(labels, [x["service_level"] for x in rows], f"Service level by {by}",
                         "service level", target=0.8)
        for x in rows:
            x["calls"] = calls_link(by, str(x[by] or ""), since, until)
            x["sl"] = percent(x["service_level"])
        total = {k: sum(x[k] for x in rows) for k in ("offered", "answered", "abandoned")}
        cost_by = by if by in ("queue", "agent") else "trunk"
        costs = api.cost_totals(me(), cost_by, since, until)
        for x in costs:
            x["per_call"] = f"{x['cost_micro'] / x['calls'] / 1e6:.4f}" if x["calls"] else "–"
        q = {"by": by, "since": int(since), "until": int(until), **(
            {"queue": a["queue"]} if a.get("queue") else {})}
        qby = by if by in ("queue", "agent") else "total"
        quality = api.quality_kpis(me(), qby, since, until, a.get("queue"), 24.0)
        for x in quality:
            x["group"] = group_of(qby, x)
        return page("reports", "Reports", by=by, rows=rows, bar=bar, sl=sl, total=total,
                    quality=quality, qby=qby, pct=percent,
                    since=_day(since), until=_day(until - 1), queue=a.get("queue", ""),
                    export="/reports/export?" + urlencode(q), costs=costs, cost_by=cost_by)

    Rows = Callable[[dict[str, Any]], tuple[str, float, float, list[dict[str, Any]]]]

    def export(path: str, params: dict[str, Any], rows_of: Rows, columns: tuple[str, ...],
               name: str, what: str) -> None:
        """A report's table as a download: ``rows_of`` the report's rows for the query,
        the first column its grouping."""
        @r.get(path, permission="reports.read", query={**params, "fmt": p_choice(
            "csv", "xlsx")}, kind="file", summary=f"The {what} table as CSV or XLSX")
        def download() -> HTTPResponse:
            a = args()
            fmt = a.pop("fmt", "csv")
            by, since, until, rows = rows_of(a)
            return table_file([by, *columns], rows,
                              f"{name}-{by}-{_day(since)}-{_day(until - 1)}", fmt)

    export("/reports/export", KPI_PARAMS, kpi_rows, COLUMNS, "kpi", "KPI")

    def quality_rows(a: dict[str, Any]) -> tuple[str, float, float, list[dict[str, Any]]]:
        by = a.get("by", "total")
        since, until = window(a)
        rows = api.quality_kpis(me(), by, since, until, a.get("queue"),
                                float(a.get("repeat_h", 24)))
        return by, since, until, rows

    @r.get("/reports/quality", permission="reports.read", query=QUALITY_PARAMS,
           summary="Quality and agent KPIs in total or by queue, agent or team, with charts")
    def quality_page() -> str:
        a = args()
        by, since, until, rows = quality_rows(a)
        for x in rows:
            x["group"] = group_of(by, x)
        none = "(no team)" if by == "team" else "(none)"
        labels = [x["group"] or none for x in rows]
        drawn = []
        for title, unit, series in QUALITY_CHARTS:
            scale = 100.0 if unit == " %" else 1.0
            values = {name: [None if x.get(col) is None else round(x[col] * scale, 1)
                             for x in rows] for name, col in series.items()}
            if any(v is not None for vs in values.values() for v in vs):
                suffix = "" if by == "total" else f" by {by}"
                drawn.append(charts.bars(labels, values, title + suffix, unit,
                                         top=100.0 if unit == " %" else None))
        for x in rows:
            x["calls"] = calls_link(by, x["group"], since, until) \
                if by in ("queue", "agent") else ""
        q = {"by": by, "since": int(since), "until": int(until), **{
            k: a[k] for k in ("queue", "repeat_h") if a.get(k)}}
        return page("quality", "Quality", by=by, rows=rows, charts=drawn, pct=percent,
                    none=none, since=_day(since), until=_day(until - 1),
                    queue=a.get("queue", ""), repeat_h=int(a.get("repeat_h", 24)),
                    export="/reports/quality/export?" + urlencode(q))

    def grouped_quality_rows(a: dict[str, Any]
                             ) -> tuple[str, float, float, list[dict[str, Any]]]:
        by, since, until, rows = quality_rows(a)
        for x in rows:
            x[by] = group_of(by, x)
        return by, since, until, rows

    export("/reports/quality/export", QUALITY_PARAMS, grouped_quality_rows, QUALITY_COLUMNS,
           "quality", "quality KPI")

    @r.get("/reports/staffing", permission="reports.read", query=STAFF_PARAMS,
           summary="Erlang C staffing per half hour")
    def staffing_page() -> str:
        a = args()
        rows = staffing(a)
        for x in rows:
            x["sl"] = percent(x["service_level"])
            x["occ"] = percent(x["occupancy"])
        chart = charts.bars([x["slot"] for x in rows], {"agents": [x["agents"] for x in rows]},
                            "Agents needed per half hour")
        return page("staffing", "Staffing", rows=rows, chart=chart,
                    target_sl=a.get("target_sl", 0.8), target_time=a.get("target_time", 20.0),
                    shrinkage=a.get("shrinkage", 0.0))


def group_of(by: str, row: dict[str, Any]) -> str:
    """The queue, agent or team a quality row is about ('all' for the total)."""
    return str(row.get(by, row.get("key")) or "")


def table_file(header: list[str], rows: list[dict[str, Any]], name: str, fmt: str
               ) -> HTTPResponse:
    """``rows`` (their ``header`` columns) as a CSV or XLSX download named ``name``."""
    table = [[x.get(c) for c in header] for x in rows]
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(header)
        for row in table:
            w.writerow(["" if v is None else _safe(v) for v in row])
        data, ctype = buf.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("KPI")
        ws.append(header)
        for row in table:
            ws.append([_safe(v) for v in row])
        out = io.BytesIO()
        wb.save(out)
        data = out.getvalue()
        ctype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return HTTPResponse(data, headers={
        "Content-Type": ctype, "Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


def _safe(v: Any) -> Any:
    """Spreadsheet cells never start with a formula character (CSV/XLSX injection)."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v
