"""The worked cases of ``tests/data/premium-calc`` (a copy of the shared data set), read so that each
input is sent exactly as its line spells it: bare JSON numbers are never re-encoded through floats."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "premium-calc"


@dataclass(frozen=True)
class Case:
    id: str
    input_text: str  # the document to send, as written in the data file
    expected: dict[str, Any] | None  # cases.jsonl: the whole output document
    path: str | None  # invalid.jsonl: the field the error line must name (None: any one line)


def _input_text(line: str) -> str:
    """The text of the line's ``input`` value, cut out verbatim (a string input is the text itself)."""
    start = line.index('"input": ') + len('"input": ')
    value, end = json.JSONDecoder().raw_decode(line, start)
    return value if isinstance(value, str) else line[start:end]


def load(name: str) -> list[Case]:
    cases = []
    for line in (DATA / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            cases.append(Case(record["id"], _input_text(line), record.get("expected"), record.get("path")))
    return cases


def params(name: str) -> list[Any]:
    return [pytest.param(case, id=case.id) for case in load(name)]
