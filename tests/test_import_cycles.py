"""No import cycles between the modules of src/tandem (scripts/check_import_cycles.py, also run by
scripts/test.sh), and the checker itself finds a cycle hidden in a function."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_import_cycles", REPO / "scripts" / "check_import_cycles.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


def _package(tmp: Path, files: dict[str, str]) -> Path:
    root = tmp / "pkg"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def test_src_tandem_has_no_import_cycles(capsys):
    checker = _checker()
    assert checker.main(["check", str(REPO / "src" / "tandem")]) == 0, capsys.readouterr().out


def test_a_cycle_through_a_lazy_import_is_found_and_named(tmp_path, capsys):
    checker = _checker()
    root = _package(
        tmp_path,
        {
            "a.py": "from pkg import b\n",
            "b.py": "def f():\n    from pkg.sub.c import g\n    return g\n",
            "sub/__init__.py": "",
            "sub/c.py": "from pkg.a import x\nx = 1\n",
            "d.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import e\n",
            "e.py": "import pkg.d\n",
        },
    )
    assert checker.main(["check", str(root)]) == 1
    out = capsys.readouterr().out
    assert "cycle: pkg.a <-> pkg.b <-> pkg.sub.c" in out
    assert "pkg.b -> pkg.sub.c" in out
    assert "pkg.d" not in out  # an import under TYPE_CHECKING is no dependency
    assert out.strip().endswith("import cycles between modules of " + str(root) + ": 1")
