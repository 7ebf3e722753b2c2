"""Schemathesis over the app's own OpenAPI schema, as the broker: no 5xx, and every response conforms to the
schema (architecture §9). SQLite only; a module-scoped database with the demo data."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tandem.app import create_app
from tandem.config import Settings
from tandem.db import make_engine
from tandem.demo import DEMO_PASSWORD
from tandem.kit.clock import FrozenClock

pytestmark = [
    # FastAPI warns about a duplicate operation id while building the schema (claim reports route).
]


@pytest.fixture(scope="module")
def api_app(templates: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    tmp = tmp_path_factory.mktemp("schemathesis")
    db = tmp / "api.db"
    shutil.copy(templates["sqlite"].url, db)
    url = f"sqlite:///{db}"
    settings_ = Settings(
        env="test",
        database_url=url,
        var_dir=tmp,
        secret_key="test-secret",
        argon2_time_cost=1,
        argon2_memory_cost=8,
        argon2_parallelism=1,
        login_max_attempts=10_000,
        login_address_max_attempts=10_000,
    )
    engine = make_engine(url)
    app = create_app(settings_, clock=FrozenClock(), engine=engine)
    yield app
    engine.dispose()


@pytest.fixture(scope="module")
def broker_headers(api_app: FastAPI) -> dict[str, str]:
    with TestClient(api_app, base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/token", json={"username": "broker", "password": DEMO_PASSWORD})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture(scope="module")
def api_schema(api_app: FastAPI) -> Any:
    return schemathesis.openapi.from_asgi("/openapi.json", api_app)


def _operations() -> list[tuple[str, str]]:
    """(method, path) of every operation, read at collection from an app that never touches a database.

    (``schemathesis.pytest.from_fixture`` would do this lazily, but it breaks on pytest 9.)"""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        app = create_app(Settings(env="test", database_url="sqlite://"))
        doc = app.openapi()
    methods = {"get", "put", "post", "delete", "patch"}
    return sorted((m.upper(), path) for path, ops in doc["paths"].items() for m in ops if m in methods)


OPERATIONS = _operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_api_conforms_to_its_schema(api_schema: Any, broker_headers: dict[str, str], method: str, path: str) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=broker_headers, checks=[not_a_server_error, response_schema_conformance])

    run()


def test_schema_documents_the_real_error_body(api_app: FastAPI) -> None:
    doc = api_app.openapi()
    assert "HTTPValidationError" not in str(doc)
    body = doc["paths"]["/api/v1/policies"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/ErrorResponse"}
    with TestClient(api_app, base_url="https://testserver") as c:
        r = c.post("/api/v1/auth/token", json={})
    assert r.status_code == 422
    assert set(r.json()) == {"error"} and set(r.json()["error"]) == {"code", "message", "fields"}
