"""The expert index is prepared at start-up in the background; a request never builds it and never waits
for it more than a second: before it is ready the API says 503 expert.index_preparing and the pages say
the index is being prepared (issue 12 item 2)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from tandem.app import create_app
from tandem.expert import service
from tests.helpers import logged_in, text_of


@pytest.fixture
def no_index(env):
    service.forget_cached(env.settings)
    yield
    service.forget_cached(env.settings)


def test_the_server_prepares_the_index_at_start_up(env, no_index) -> None:
    settings = env.settings.model_copy(update={"expert_index_at_startup": True})
    app = create_app(settings, clock=env.clock, engine=env.engine)
    with TestClient(app, base_url="https://testserver"):
        thread = service._PREPARING[settings.database_url]
        thread.join(timeout=300)  # a state: the preparation finished
        assert settings.database_url in service._CACHE
        with env.session() as s:
            assert len(service.ready_index(s, settings, wait=0)) > 0  # ready: no waiting at all


def test_a_request_does_not_wait_for_an_index_being_prepared(env, no_index, monkeypatch) -> None:
    release = threading.Event()
    started = threading.Event()
    real = service._prepare

    def slow_prepare(settings, engine):
        started.set()
        release.wait(timeout=300)
        real(settings, engine)

    monkeypatch.setattr(service, "_prepare", slow_prepare)
    broker = logged_in(env, "broker")
    try:
        page = broker.get("/experts", params={"q": "火灾原因调查"})
        assert started.is_set() and not release.is_set()  # answered while the index was still being prepared
        assert page.status_code == 200 and "专家索引正在准备中" in text_of(page)
        with env.session() as s, pytest.raises(service.IndexPreparing):
            service.search(s, env.settings, "火灾", wait=0.01)
    finally:
        release.set()
    service._PREPARING[env.settings.database_url].join(timeout=300)
    page = broker.get("/experts", params={"q": "火灾原因调查"})
    assert "专家索引正在准备中" not in text_of(page) and 'id="expert-rows"' in page.text
