"""Query parameter checks for the call listings."""
from __future__ import annotations

import pytest

from webui.params import CALL_PARAMS, ParamError, parse_query


def q(**kw: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in kw.items()}


def test_good_parameters_are_converted() -> None:
    args = parse_query(q(limit="10", offset="20", since="2026-11-27", until="1795800000",
                         queue="support", agent="201", disposition="no-agent"), CALL_PARAMS)
    assert args == {"limit": 10, "offset": 20, "since": 1795737600.0, "until": 1795800000.0,
                    "queue": "support", "agent": "201", "disposition": "no-agent"}
    assert parse_query(q(since="2026-11-27T10:00:00+01:00"), CALL_PARAMS)["since"] == \
        1795737600.0 + 9 * 3600
    assert parse_query(q(queue=""), CALL_PARAMS) == {}


@pytest.mark.parametrize("query, param", [
    (q(limit="abc"), "limit"), (q(limit="0"), "limit"), (q(limit="501"), "limit"),
    (q(limit="-1"), "limit"), (q(offset="1e3"), "offset"), (q(since="yesterday"), "since"),
    (q(since="1900-01-01"), "since"), (q(until="nan"), "until"),
    (q(disposition="busy"), "disposition"), (q(queue="a b"), "queue"),
    (q(agent="x" * 40), "agent"), (q(limit=["1", "2"]), "limit"), (q(sort="time"), "sort"),
    (q(since="2026-11-27", until="2026-11-26"), "until"),
])
def test_bad_parameters_are_named(query: dict[str, list[str]], param: str) -> None:
    with pytest.raises(ParamError) as err:
        parse_query(query, CALL_PARAMS)
    assert err.value.parameter == param
    assert err.value.status == 400
    assert str(err.value).startswith(f"{param}: expected ")
