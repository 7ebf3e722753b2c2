"""The worked cases of ``tests/data/claims-calc`` (a copy of the shared data set) for the calculator's tests
(the engine's and the command line's), read with Decimals so bare JSON numbers stay exact."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tandem.settlement.calculator import loads_json

DATA = Path(__file__).resolve().parent.parent / "data" / "claims-calc"

ACCEPTANCE_SECTION_FIELDS = ("payable", "limited_by", "after_liability")
ACCEPTANCE_TOTAL_FIELDS = ("total_payable", "due", "overpaid")


@dataclass(frozen=True)
class Record:
    """One line of a data file, parsed with Decimals (bare JSON numbers stay exact)."""

    id: str
    data: dict[str, Any]

    @property
    def input_text(self) -> str:
        """The ``raw`` text, or the ``input`` document serialised without going through floats."""
        if "raw" in self.data:
            return str(self.data["raw"])
        return to_json_text(self.data["input"])


def load_records(name: str) -> list[Record]:
    records = []
    for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = loads_json(line)
            records.append(Record(id=str(data["id"]), data=data))
    return records


def params(name: str) -> list[Any]:
    return [pytest.param(r, id=r.id) for r in load_records(name)]


def to_json_text(value: object) -> str:
    """JSON text where a Decimal is written as a bare number, exactly as it reads (never a float)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{to_json_text(k)}: {to_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(to_json_text(v) for v in value) + "]"
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def assert_matches_expected(out: dict[str, Any], expected: dict[str, Any]) -> None:
    """The acceptance fields as decimals, then every other figure (given for debugging) too."""
    got = {s["code"]: s for s in out["sections"]}
    want = {s["code"]: s for s in expected["sections"]}
    assert got.keys() == want.keys()
    for code, exp in want.items():
        for field in ACCEPTANCE_SECTION_FIELDS:
            if field == "limited_by":
                assert got[code][field] == exp[field], (code, field)
            else:
                assert Decimal(got[code][field]) == Decimal(exp[field]), (code, field)
    for field in ACCEPTANCE_TOTAL_FIELDS:
        assert Decimal(out[field]) == Decimal(expected[field]), field
    assert out == expected
