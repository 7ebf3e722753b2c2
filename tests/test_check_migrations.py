"""scripts/check_migrations.py: a migration file is touched by one commit only; editing a released one
(committed or in the working tree) fails the check, a new migration passes."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "check_migrations.py"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=repo, check=True, capture_output=True
    )


def _check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "scripts/check_migrations.py"], cwd=repo, capture_output=True, text=True)


def test_an_edited_released_migration_fails_and_a_new_one_passes(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    (repo / "migrations" / "versions").mkdir(parents=True)
    shutil.copy(SCRIPT, repo / "scripts" / "check_migrations.py")
    _git(repo, "init", "-q", "-b", "main")
    first = repo / "migrations" / "versions" / "0007_first.py"
    first.write_text('revision = "0007"\n')
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "0007")
    ok = _check(repo)
    assert ok.returncode == 0, ok.stdout

    first.write_text('revision = "0007"\n# changed\n')  # an edit not yet committed
    dirty = _check(repo)
    assert dirty.returncode == 1 and "0007_first.py: edited in the working tree" in dirty.stdout

    _git(repo, "commit", "-qam", "edit 0007")  # the edit committed
    edited = _check(repo)
    assert edited.returncode == 1 and "0007_first.py: touched by 2 commits" in edited.stdout

    _git(repo, "revert", "--no-edit", "HEAD")  # undoing it is a third touch: still refused
    assert _check(repo).returncode == 1


def test_the_repository_passes() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
