"""``tandem reconcile A.json B.json`` run as a subprocess (命令行)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parent.parent / "data" / "reconcile"
STANDALONE = "from tandem.reconciliation.cli import reconcile_app; reconcile_app()"
MOUNTED = (
    "import typer; from tandem.reconciliation.cli import reconcile_command; app = typer.Typer(); "
    "app.command('reconcile')(reconcile_command); app.command('other')(lambda: None); app()"
)


def run(*args: str, script: str = STANDALONE, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.fixture
def case(tmp_path: Path) -> Path:
    folder = tmp_path / "case"
    shutil.copytree(DATA / "10-chem-explosion", folder)
    return folder


def test_prints_alignment(case: Path) -> None:
    path = case / "a.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["items"][0]["ref"] = "甲1"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = run(str(case / "a.json"), str(case / "b.json"), cwd=case)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    gold = {("甲1" if a == "1" else a, b) for a, b in expected["pairs"]}
    assert {(p["a"], p["b"]) for p in out["pairs"]} == gold
    assert out["only_a"] == expected["only_a"] and out["only_b"] == expected["only_b"]
    assert set(out["totals"]) == {"a", "b", "paired_a", "paired_b", "difference"}
    assert '"a": "甲1"' in result.stdout  # not ASCII-escaped
    assert result.stdout.startswith('{\n  "pairs": [')


def test_mounted_as_subcommand(case: Path) -> None:
    result = run("reconcile", "a.json", "b.json", script=MOUNTED, cwd=case)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["pairs"]


def break_loss(case: Path, value: object) -> None:
    path = case / "b.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    if value is None:
        del doc["items"][3]["loss"]
    else:
        doc["items"][3]["loss"] = value
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "expect"),
    [
        (lambda c: break_loss(c, None), ["b.json", "items[3].loss", "required"]),
        (lambda c: break_loss(c, "-12.50"), ["b.json", "items[3].loss", "negative"]),
        (lambda c: (c / "b.json").write_text('{"items": [', encoding="utf-8"), ["b.json", "JSON"]),
        (lambda c: (c / "b.json").unlink(), ["b.json", "cannot read"]),
    ],
    ids=["missing-loss", "negative-loss", "unparseable", "missing-file"],
)
def test_bad_input_exits_2_with_one_line(case: Path, damage: object, expect: list[str]) -> None:
    damage(case)  # type: ignore[operator]
    result = run("a.json", "b.json", cwd=case)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for word in expect:
        assert word in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("loss", "1e308"),
        ("loss", '"1e308"'),
        ("loss", '"1E+999999999"'),
        ("loss", "1E+999999999"),
        ("quantity", "1e308"),
        ("unit_value", '"1e40"'),
        ("loss", "1E-999999999"),
    ],
)
def test_amounts_out_of_range_exit_2_naming_the_field(case: Path, field: str, value: str) -> None:
    """1e308 was accepted and crashed later (InvalidOperation, exit 1) when amounts were rounded."""
    doc = json.loads((case / "a.json").read_text(encoding="utf-8"))
    doc["items"][1][field] = "@@"
    text = json.dumps(doc, ensure_ascii=False).replace('"@@"', value)
    (case / "a.json").write_text(text, encoding="utf-8")
    result = run(str(case / "a.json"), str(case / "b.json"), cwd=case)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and "Traceback" not in result.stderr
    assert f"items[1].{field}:" in result.stderr, result.stderr
