"""The 2000-character reason limit is written once (tandem.kit.limits.REASON_MAX) and used by the API
models, the page handlers and the templates."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

import tandem
from tandem.kit.limits import REASON_MAX
from tandem.web.labels import LABELS

SRC = Path(tandem.__file__).parent
WRITTEN_OUT = re.compile(
    r"max_length=2000\b|len\([^)]*reason[^)]*\) > 2000\b|maxlength=\"2000\"|text\(form, [^)]*2000\)"
)


def test_the_reason_limit_is_one_constant() -> None:
    hits = [
        f"{path.relative_to(SRC)}:{n}"
        for path in sorted([*SRC.rglob("*.py"), *SRC.rglob("*.html")])
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if WRITTEN_OUT.search(line)
    ]
    assert hits == []
    assert REASON_MAX == 2000


def test_an_api_reason_over_the_limit_is_refused_naming_the_field(env) -> None:
    broker, path = env.client("broker"), f"/api/v1/claims/{uuid.uuid4()}/withdraw"
    r = broker.post(path, json={"reason": "x" * (REASON_MAX + 1)})
    assert r.status_code == 422 and "reason" in r.text
    assert broker.post(path, json={"reason": "x" * REASON_MAX}).status_code == 404  # the length is fine


def test_a_label_group_is_defined_once() -> None:
    """A page module adding a label group under a name already taken (events' perils over products'
    perils once made a product page show raw codes) is refused when it is imported."""
    with pytest.raises(KeyError, match="peril"):
        LABELS["peril"] = {"flood": "Flood"}
    assert LABELS["peril"]["fire"] == "Fire"
