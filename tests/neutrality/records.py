"""The data set of ``neutrality.md`` (copied from shared/data/neutrality into tests/data/neutrality):
records with their ``input`` as the exact JSON text of the line (number tokens as written), and the
acceptance comparison its README describes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parents[1] / "data" / "neutrality"
FIGURES = ("mean", "sd", "lower", "toward_insured")


@dataclass(frozen=True)
class Record:
    """One line of a data file; ``input_text`` is the input exactly as the line writes it."""

    id: str
    data: dict[str, Any]
    input_text: str

    @property
    def expected(self) -> Any:
        return self.data["expected"]


def _raw_input(line: str, data: dict[str, Any]) -> str:
    """The text of the line's ``input`` value, number tokens as written (``765819.42``, ``0.10``)."""
    if isinstance(data["input"], str):  # text that does not parse: sent as it is
        return data["input"]
    start = line.index('"input": ') + len('"input": ')
    value, end = json.JSONDecoder().raw_decode(line, start)
    assert value == data["input"]
    return line[start:end]


def load(name: str) -> list[Record]:
    records = []
    for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            data = json.loads(line)
            records.append(Record(id=str(data["id"]), data=data, input_text=_raw_input(line, data)))
    return records


def params(name: str) -> list[Any]:
    return [pytest.param(r, id=r.id) for r in load(name)]


def assert_rejected(code: int, stdout: str | bytes, stderr: str, path: str | None) -> str:
    """Bad input: status 2, nothing on stdout, one ``error: <path>: …`` line on stderr, no traceback."""
    assert (code, stdout) in ((2, ""), (2, b"")), (code, stdout, stderr)
    lines = stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert "Traceback" not in stderr
    assert path is None or lines[0].startswith(f"error: {path}: "), (path, lines[0])
    return lines[0]


def assert_matches(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    """The README's acceptance check: keys, order, n, flagged, direction and firm exactly; the four
    figures as 4-decimal strings within 0.0001 of the expected ones (null only where null)."""
    assert list(actual) == ["adjusters", "firms"]
    for kind, key in (("adjusters", "adjuster"), ("firms", "firm")):
        assert [g[key] for g in actual[kind]] == [g[key] for g in expected[kind]], kind
        for got, want in zip(actual[kind], expected[kind], strict=True):
            assert list(got) == list(want), (kind, got)
            for field in ("adjuster", "firm", "n", "flagged", "direction"):
                if field in want:
                    assert got[field] == want[field], (kind, want[key], field)
            assert type(got["n"]) is int
            for field in FIGURES:
                if want[field] is None:
                    assert got[field] is None, (kind, want[key], field)
                    continue
                text = got[field]
                assert isinstance(text, str) and text.count(".") == 1 and len(text.split(".")[1]) == 4, text
                assert text != "-0.0000"
                assert abs(Decimal(text) - Decimal(want[field])) <= Decimal("0.0001"), (kind, want[key], field)
