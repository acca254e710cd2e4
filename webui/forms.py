"""The admin pages' form handling, in one place: reading a posted field, and running a
change so that a refusal re-renders the page with the reason instead of an error page.

Every admin form posts back to a route that calls the daemon's ``Api``; a change the
``Api`` refuses for its input (400), for a missing record (404) or for a conflict with
what is stored (409) is the user's to fix, so the page comes back with the message
(which names the field) and the status, and nothing is half saved. Any other error
(401/403, 5xx) is not the form's: it propagates to the error pages.
"""
from __future__ import annotations

from typing import Any, Callable

from bottle import request, response

from firmware.api import ApiError
from webui.pages import redirect

#: the statuses a form shows as its own refusal (422: an uploaded file that is no list)
REFUSED = (400, 404, 409, 422)


def posted(name: str) -> str:
    """A posted field as text, stripped ('' when absent)."""
    return (request.forms.getunicode(name) or "").strip()


def ticked(name: str) -> bool:
    """A posted check box (``value="1"``)."""
    return request.forms.get(name) == "1"


def posted_int(name: str, default: int, lo: int = 0, hi: int = 10**9) -> int:
    """A posted whole number in ``[lo, hi]``; empty gives ``default``; anything else is a
    400 naming the field."""
    raw = posted(name)
    if not raw:
        return default
    if not raw.isdigit() or not lo <= int(raw) <= hi:
        raise ApiError(f"{name}: expected a whole number {lo}-{hi}, got {raw[:20]!r}",
                       status=400, field=name)
    return int(raw)


def upload(name: str, max_bytes: int) -> bytes:
    """The file posted as ``name`` (at most ``max_bytes + 1`` bytes read: the caller
    names a larger one); the request's spooled parts are closed at once."""
    part = request.files.get(name)
    try:
        if part is None or not part.raw_filename:
            raise ApiError(f"{name}: choose a file", status=400, field=name)
        return bytes(part.file.read(max_bytes + 1))
    finally:
        for each in request.files.values():
            each.file.close()
        body = request.environ.get("bottle.request.body")
        if body is not None:
            body.close()


def queue_names(api: Any, p: Any) -> list[str]:
    """The queues a form may offer to choose from: their names for a principal that may
    read the queues, else none (the field is then typed, and the ``Api`` checks it)."""
    return [q["name"] for q in api.list_queues(p)] if p.can("queues.admin") else []


def attempt(view: Callable[..., str], action: Callable[[], Any],
            back: str | Callable[[Any], str] | None, *, status: int | None = None,
            **view_kw: Any) -> str:
    """Run ``action``; when done go to ``back`` (or ``back(result)``), 303, or with
    ``back`` None render ``view(result=result, **view_kw)`` (an import's counts and
    rejected rows). A refusal (``REFUSED``) renders ``view(error=reason, **view_kw)``
    with the refusal's status (or ``status``)."""
    try:
        result = action()
    except ApiError as exc:
        if exc.status not in REFUSED:
            raise
        response.status = status or exc.status
        return view(error=str(exc), **view_kw)
    if back is None:
        return view(result=result, **view_kw)
    redirect(back if isinstance(back, str) else back(result))
