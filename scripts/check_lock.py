#!/usr/bin/env python3
"""Fail when the environment holds a package the lock does not pin, or pins at another version.

Run after `make install`: every line of `pip freeze --exclude-editable` (the project itself is the
editable one) must appear in requirements.lock with the same version (names compared normalised).
Exit 0 and one summary line when all is well; otherwise one line per problem and exit 1.
Usage: .venv/bin/python scripts/check_lock.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def pins(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[_name(name.split("[", 1)[0])] = version.split(";", 1)[0].strip()
    return found


def main() -> int:
    locked = pins((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"], capture_output=True, text=True, check=True
    ).stdout
    installed = pins(frozen)
    problems = []
    for name, version in sorted(installed.items()):
        if name not in locked:
            problems.append(f"{name}=={version}: installed but not in requirements.lock")
        elif locked[name] != version:
            problems.append(f"{name}=={version}: requirements.lock pins {locked[name]}")
    for line in problems:
        print(line)
    if problems:
        print(f"lock: {len(problems)} problem(s); regenerate requirements.lock (see its header)")
        return 1
    print(f"lock: all {len(installed)} installed packages pinned")
    return 0


if __name__ == "__main__":
    sys.exit(main())
