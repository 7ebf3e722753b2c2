"""The expert indexes kept in memory are bounded: a process serves one database, a test run makes one per
test, and each index holds every expert (an unbounded cache grew a test worker to 13 GB)."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import pytest

from tandem.expert import service


def test_only_the_most_recently_used_indexes_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    cache: OrderedDict[str, Any] = OrderedDict()
    monkeypatch.setattr(service, "_CACHE", cache)
    for n in range(service._CACHE_SIZE + 3):
        service._remember(f"sqlite:///db{n}", (object(), {"n": n}))  # type: ignore[arg-type]
    service._remember("sqlite:///db3", (object(), {"n": 3}))  # used again: the newest
    kept = list(cache)
    assert len(kept) == service._CACHE_SIZE and kept[-1] == "sqlite:///db3"
    assert "sqlite:///db0" not in cache and "sqlite:///db6" in cache
