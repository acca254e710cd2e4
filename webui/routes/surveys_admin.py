"""Post-call survey questionnaires (``surveys.admin``): the REST routes over
``Api.list_surveys`` / ``put_survey`` / ``delete_survey`` and the page ``/admin/surveys``.

The page is a form, no script: each question is its text, its choices written
``1=good, 2=fair, 3=poor``, optionally its scores (``1=5, 2=3, 3=0``; by default the
first digit scores highest) and the digits counted as satisfied for CSAT (by default the
first). A refused change re-renders the page with the reason naming the field (400),
the survey (404) or who still uses it (409); nothing is half saved.
"""
from __future__ import annotations

from typing import Any

from bottle import request

from firmware.api import ApiError
from webui.access import AccessPlugin, WebUi
from webui.forms import attempt, posted, ticked
from webui.handlers import ANY_OBJ, BOOL, OK, arr, args, json_body, me, obj
from webui.pages import page
from webui.params import p_text
from webui.routing import Router

TAG = "surveys"
#: The most questions the form shows (the store takes 1-20).
MAX_QUESTIONS = 20
QUESTION = obj(("text", "choices"), text={"type": "string", "maxLength": 500},
               choices={"type": "object", "additionalProperties": {
                   "type": "string", "maxLength": 64}},
               scores={"type": "object", "additionalProperties": {"type": "integer"}},
               satisfied=arr({"type": "string", "maxLength": 1}))
SURVEY_IN = obj(("questions",), questions={"type": "array", "items": QUESTION,
                                           "minItems": 1, "maxItems": MAX_QUESTIONS},
                active=BOOL, language={"type": "string", "enum": ["en", "zh"]})


def _pairs(field: str, raw: str) -> dict[str, str]:
    """``1=good, 2=poor`` -> ``{"1": "good", "2": "poor"}``; a malformed item is named."""
    out: dict[str, str] = {}
    for item in (x.strip() for x in raw.split(",")):
        if not item:
            continue
        digit, sep, value = item.partition("=")
        if not sep or not digit.strip() or not value.strip():
            raise ApiError(f"{field}: {item!r} is not digit=value (like 1=good)",
                           status=400, field=field)
        out[digit.strip()] = value.strip()
    return out


def _show_pairs(d: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in d.items())


def questions_from_form(form: Any) -> list[dict[str, Any]]:
    """The questions of the page's form, in order; a blank question slot is skipped."""
    out: list[dict[str, Any]] = []
    for i in range(MAX_QUESTIONS):
        text = (form.getunicode(f"q{i}_text") or "").strip()
        choices_raw = (form.getunicode(f"q{i}_choices") or "").strip()
        if not text and not choices_raw:
            continue
        n = len(out) + 1
        q: dict[str, Any] = {"text": text,
                             "choices": _pairs(f"question {n} choices", choices_raw)}
        scores_raw = (form.getunicode(f"q{i}_scores") or "").strip()
        if scores_raw:
            scores: dict[str, int] = {}
            for d, v in _pairs(f"question {n} scores", scores_raw).items():
                if not v.isdigit():
                    raise ApiError(f"question {n} scores: {d}={v} is not a whole number",
                                   status=400, field=f"q{i}_scores")
                scores[d] = int(v)
            q["scores"] = scores
        sat = [x.strip() for x in (form.getunicode(f"q{i}_satisfied") or "").split(",")
               if x.strip()]
        if sat:
            q["satisfied"] = sat
        out.append(q)
    if not out:
        raise ApiError("questions: at least one question with its choices", status=400,
                       field="questions")
    return out


def routes(r: Router, ui: WebUi, plugin: AccessPlugin) -> None:
    api = ui.api

    @r.get("/api/surveys", permission="surveys.read", response=arr(ANY_OBJ),
           summary="Survey questionnaires: questions with choices, scores, satisfied "
           "digits; language, active, the queues that play it")
    def api_surveys() -> list[dict[str, Any]]:
        return api.list_surveys(me())

    @r.put("/api/surveys/<name>", permission="surveys.admin", body=SURVEY_IN,
           response=ANY_OBJ, summary="Create or replace a survey questionnaire")
    def api_put_survey(name: str) -> dict[str, Any]:
        return api.put_survey(me(), name, **json_body(SURVEY_IN))

    @r.delete("/api/surveys/<name>", permission="surveys.admin", response=OK,
              summary="Delete a survey (409 while a queue plays it or once it has answers)")
    def api_delete_survey(name: str) -> dict[str, Any]:
        api.delete_survey(me(), name)
        return {"ok": True}

    def view(error: str = "", edit: dict[str, Any] | None = None) -> str:
        surveys = api.list_surveys(me())
        if edit is None:
            name = args().get("edit", "")
            edit = next((s for s in surveys if s["name"] == name), None)
        slots = min(MAX_QUESTIONS, len(edit["questions"]) + 2) if edit else 3
        return page("admin_surveys", "Surveys", surveys=surveys, edit=edit, slots=slots,
                    error=error, pairs=_show_pairs)

    @r.get("/admin/surveys", permission="surveys.admin", query={"edit": p_text(32)},
           summary="Survey questionnaires: list, create, edit, delete")
    def admin_surveys() -> str:
        return view()

    @r.post("/admin/surveys", permission="surveys.admin", kind="form",
            summary="Save a survey (form)")
    def admin_survey_save() -> str:
        f = request.forms
        return attempt(view, lambda: api.put_survey(me(), posted("name"), questions_from_form(f),
                                                    ticked("active"), f.get("language") or "en"),
                       "/admin/surveys")

    @r.post("/admin/surveys/<name>/delete", permission="surveys.admin", kind="form",
            summary="Delete a survey (form)")
    def admin_survey_delete(name: str) -> str:
        return attempt(view, lambda: api.delete_survey(me(), name), "/admin/surveys")
