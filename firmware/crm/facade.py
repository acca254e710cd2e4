"""The one wrapper every CRM API method goes through (see ``firmware.api_crm``).

``@endpoint(permission, kind)`` checks the permission, runs the coroutine on the
daemon loop with the API's timeout, turns store errors into ``ApiError`` with
a status and the field at fault, renders times as ISO-8601 UTC and masks phone
numbers for the principal. ``ENDPOINTS`` lists every decorated method.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Concatenate, ParamSpec, TypeVar

from firmware.crm.masking import mask_tree
from firmware.crm.permissions import PERMISSIONS, PermissionDenied, Principal
from firmware.errors import (ApiError, FlowError, IllegalTransition, MediaError, RouteError,
                             TrunksBusy)
from firmware.store.config import InUse
from firmware.store.db import NotFound, ValidationError

S = TypeVar("S")
P = ParamSpec("P")
# What @endpoint takes (an async method of the CRM API) and what it makes of it: a
# blocking call that checks the principal and returns the masked, JSON-ready result.
Method = Callable[Concatenate[S, Principal, P], Awaitable[Any]]
Endpointed = Callable[Concatenate[S, Principal | None, P], Any]
TIME_KEYS = frozenset({
    "started_at", "ended_at", "answered_at", "ring_started_at", "agent_answered_at", "ts",
    "created_at", "updated_at", "due_at", "next_escalation_at", "paused_at", "resolved_at",
    "closed_at", "expires_at", "last_used", "revoked_at", "finished_at", "rated_at",
    "heard_at", "joined_at"})


@dataclass(frozen=True)
class Endpoint:
    name: str
    permission: str | None          # None: any logged-in principal
    kind: str                       # "read" | "write"


ENDPOINTS: dict[str, Endpoint] = {}


def _iso(v: Any) -> Any:
    from firmware.api import iso
    return iso(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else v


def jsonable(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: (_iso(x) if k in TIME_KEYS else jsonable(x)) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [jsonable(x) for x in v]
    return v


def endpoint(permission: str | None, kind: str = "read", timeout: float | None = None
             ) -> Callable[[Method[S, P]], Endpointed[S, P]]:
    if permission is not None and permission not in PERMISSIONS:
        raise KeyError(permission)

    def deco(fn: Method[S, P]) -> Endpointed[S, P]:
        ENDPOINTS[fn.__name__] = Endpoint(fn.__name__, permission, kind)

        @functools.wraps(fn)
        def wrapper(self: Any, p: Principal | None, *args: P.args, **kw: P.kwargs) -> Any:
            if not isinstance(p, Principal):
                raise ApiError("login required", status=401, operation=fn.__name__)
            if permission is not None:
                p.require(permission)

            async def call() -> Any:
                try:
                    return await fn(self, p, *args, **kw)
                except (ApiError, PermissionDenied):
                    raise
                except ValidationError as exc:
                    raise ApiError(str(exc), status=400, field=exc.field,
                                   expected=exc.expected) from None
                except NotFound as exc:
                    raise ApiError(str(exc), status=404, **exc.context) from None
                except InUse as exc:
                    raise ApiError(str(exc), status=409, **exc.context) from None
                except IllegalTransition as exc:
                    raise ApiError(str(exc), status=409, field="state",
                                   state=exc.context.get("state")) from None
                except RouteError as exc:          # a number no route takes: the input
                    raise ApiError(str(exc), status=400, field="number") from None
                except (MediaError, FlowError, TrunksBusy) as exc:
                    # the call or the media refused it now (no room on the node, a leg
                    # gone, every trunk busy): a conflict with the present, said as is
                    raise ApiError(str(exc), status=409,
                                   reason=exc.context.get("reason", type(exc).__name__)
                                   ) from None
            result = self._run(call(), fn.__name__, timeout)
            return mask_tree(jsonable(result), p)
        return wrapper
    return deco


def page(items: list[Any], total: int, limit: int, offset: int, sort: str | None = None
          ) -> dict[str, Any]:
    return {"items": items, "total": total, "limit": limit, "offset": offset, "sort": sort}
