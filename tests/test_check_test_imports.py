"""Test modules never import from each other (scripts/check_test_imports.py, run by scripts/test.sh): the
suite holds the rule, and the checker finds every way of spelling such an import."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "check_test_imports.py"


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_test_imports", SCRIPT)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _suite(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "tests"
    for name, text in {"__init__.py": "", "helpers.py": "def ok():\n    return 1\n", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_the_suite_imports_no_test_module(capsys):
    assert _checker().main(["check", str(REPO / "tests")]) == 0, capsys.readouterr().out


def test_every_spelling_of_a_test_module_import_is_named(tmp_path, capsys):
    root = _suite(
        tmp_path,
        {
            "test_a.py": "from tests.helpers import ok\n",  # the allowed way
            "claim/__init__.py": "",
            "claim/test_b.py": "from tests.test_a import x\n",
            "claim/test_c.py": "def test_c():\n    from .test_b import y\n    return y\n",
            "claim/test_d.py": "from tests.claim import test_b\n",
            "claim/test_e.py": "import tests.claim.test_c as c\n",
            "web/__init__.py": "",
            "web/test_f.py": "from ..claim.test_b import z\nfrom . import helpers_of_web\n",
            "conftest.py": "from tests.claim.test_d import w\n",
        },
    )
    assert _checker().main(["check", str(root)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[:-1] == [
        f"{root}/claim/test_b.py:1: imports test module tests.test_a",
        f"{root}/claim/test_c.py:2: imports test module tests.claim.test_b",
        f"{root}/claim/test_d.py:1: imports test module tests.claim.test_b",
        f"{root}/claim/test_e.py:1: imports test module tests.claim.test_c",
        f"{root}/conftest.py:1: imports test module tests.claim.test_d",
        f"{root}/web/test_f.py:1: imports test module tests.claim.test_b",
    ]
    assert out[-1].startswith(f"test modules imported by other files of {root}: 6")


def test_the_script_exits_non_zero_from_the_command_line(tmp_path):
    root = _suite(tmp_path, {"test_a.py": "", "test_b.py": "from tests.test_a import x\n"})
    bad = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False)
    assert bad.returncode == 1 and "test_b.py:1: imports test module tests.test_a" in bad.stdout
    (root / "test_b.py").write_text("from tests.helpers import ok\n", encoding="utf-8")
    good = subprocess.run([sys.executable, str(SCRIPT), str(root)], capture_output=True, text=True, check=False)
    assert (good.returncode, good.stdout) == (0, "")
