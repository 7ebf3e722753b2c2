"""The lock pins every installed package (scripts/check_lock.py, in scripts/test.sh); declared
dependencies are the ones the package uses."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
check_lock = importlib.import_module("check_lock")


def test_pins_are_read_with_normalised_names() -> None:
    text = "# header\nArgon2_CFFI==25.1.0   # via tandem\nuvicorn[standard]==0.40.0\n\n-e .\n"
    assert check_lock.pins(text) == {"argon2-cffi": "25.1.0", "uvicorn": "0.40.0"}


def test_the_environment_matches_the_lock() -> None:
    assert check_lock.main() == 0


def test_no_unused_or_test_only_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {d.split("[")[0].split(">")[0] for d in project["dependencies"]}
    assert not runtime & {"httpx", "httpx2", "itsdangerous"}  # tests and benchmarks only, or unused
    locked = check_lock.pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert "itsdangerous" not in locked
    assert {"httpx2", "httpcore2", "truststore"} <= set(locked)  # what httpx2 pulls is pinned too
    for module in ("tandem.expert.baseline", "tandem.expert.metrics"):
        assert importlib.util.find_spec(module) is None, f"{module} is test-only and must not ship"
