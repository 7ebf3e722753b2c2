"""An app that nobody holds any more is freed, with its engine: a process that makes many apps (the test
suite makes one per test) must not keep them all. FastAPI caches what it learns of each endpoint and
dependency process-wide, so an endpoint that closes over its app would keep every app alive."""

from __future__ import annotations

import gc
import weakref

from fastapi.testclient import TestClient

from tandem.app import create_app
from tandem.db import make_engine


def test_a_dropped_app_and_its_engine_are_freed(env) -> None:
    app = create_app(env.settings, engine=make_engine(env.url))
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/login").status_code == 200
    app_ref, engine_ref = weakref.ref(app), weakref.ref(app.state.engine)
    app.state.engine.dispose()
    del app, client
    gc.collect()
    assert app_ref() is None, [type(r).__name__ for r in gc.get_referrers(app_ref())]
    assert engine_ref() is None
