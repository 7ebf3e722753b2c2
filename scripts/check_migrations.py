#!/usr/bin/env python3
"""Fail when a released migration was edited: a database upgraded before the edit never gets it.

The rule: every file in migrations/versions is touched by exactly one commit, the one that added it
(`git log --follow` over HEAD's history), and a committed migration has no uncommitted edits. A change
to the schema is a new migration. Works in a fresh clone of main (HEAD == main) as in a branch.

Exit 0 and one summary line when all is well; otherwise one line per problem and exit 1.
Usage: python3 scripts/check_migrations.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VERSIONS = "migrations/versions"

# 0001 and 0002 were edited after they were released (before this check existed), so a database made
# by an early release never got those edits. Their history cannot be undone; from now on they are frozen
# at these blobs (`git rev-parse HEAD:<file>`), like every other migration is frozen at its first commit.
EDITED_BEFORE_THE_RULE = {
    f"{VERSIONS}/0001_foundation.py": "7f6076ef4b26e7ff3d687b1357933f2727f42e9c",
    f"{VERSIONS}/0002_claims.py": "4eac86837b82b32ceb9207924fa95b0da1327c64",
    # Landed as 0010 next to another 0010 and renumbered on main (104f1ea) before this check existed.
    f"{VERSIONS}/0011_channel_accounts.py": "c5755f288e382205ecd121d42fe098d32be484c3",
}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def problems() -> tuple[list[str], int]:
    found: list[str] = []
    files = [f for f in git("ls-files", "--", f"{VERSIONS}/*.py").split() if f.endswith(".py")]
    for name in files:
        edited = git("diff", "--name-only", "HEAD", "--", name).strip()
        if edited:
            found.append(f"{name}: edited in the working tree; a committed migration is never changed")
        if name in EDITED_BEFORE_THE_RULE:
            blob = git("rev-parse", f"HEAD:{name}").strip()
            if blob != EDITED_BEFORE_THE_RULE[name]:
                found.append(f"{name}: changed again (blob {blob[:12]}); add a new migration instead")
            continue
        commits = git("log", "--format=%h", "--follow", "HEAD", "--", name).split()
        if len(commits) != 1:
            found.append(
                f"{name}: touched by {len(commits)} commits ({', '.join(commits)}); a migration is added in one "
                "commit and never edited (squash an unreleased one, or add a new migration)"
            )
    return found, len(files)


def main() -> int:
    found, count = problems()
    for line in found:
        print(line)
    if found:
        print(f"migrations: {len(found)} problem(s)")
        return 1
    print(f"migrations: {count} files, each as first committed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
