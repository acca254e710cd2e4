"""schemathesis against ``/api/openapi.json``, in-process over WSGI, for every built-in role.

Each generated request is sent once per role with that role's API token: no answer
may be a 5xx, and every answer must match the document (status code documented,
content type, body schema). The event stream (an endless answer) is left to
``test_events.py``. Examples per operation are few so the suite stays fast; the
seed is fixed so a failure reproduces.
"""
from __future__ import annotations

import os
from typing import Any, Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                                response_schema_conformance,
                                                status_code_conformance)

from firmware.crm.permissions import BUILTIN_ROLES, Principal
from tests.webui.support import Web, start_web, stop_web

EXAMPLES = int(os.environ.get("CALLBOX_FUZZ_EXAMPLES", "10"))   # make test: 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Web, dict[str, str]]]:
    w = start_web(tmp_path_factory.mktemp("schemathesis"))
    admin = Principal.system("test")
    tokens = {role: w.api.create_api_token(admin, f"st-{role.replace('_', '-')}", role)["token"]
              for role in sorted(BUILTIN_ROLES)}
    w.api.create_customer(admin, {"name": "Wang Fang", "phones": ["+8613812345678"]})
    yield w, tokens
    stop_web(w)


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:      # the module's web UI lives across tests
    yield


def test_api_for_every_role(fuzzed: tuple[Web, dict[str, str]]) -> None:
    web, tokens = fuzzed
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", web.app)
    failures: list[str] = []
    tested = 0
    for result in schema.get_all_operations():
        op = result.ok()
        if op.path == "/api/events":
            continue

        @given(case=op.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit,
                                                                   Phase.generate])
        def run(case: Any) -> None:
            for token in tokens.values():
                case.call_and_validate(headers={"Authorization": f"Bearer {token}"},
                                       checks=CHECKS)
        try:
            run()
        except Exception as exc:           # collected: every operation is tried
            failures.append(f"{op.method.upper()} {op.path}: {str(exc)[:600]}")
        tested += 1
    assert tested >= 40
    assert failures == [], "\n\n".join(failures)
