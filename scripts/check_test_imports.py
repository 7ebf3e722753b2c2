#!/usr/bin/env python3
"""Fail when a test module imports from another test module.

Helpers the tests share live in ``tests/helpers.py`` (or a conftest fixture); a test module (``test_*.py``)
is never imported by another file of the suite: importing one runs its module-level set-up a second time,
collects its tests under another name, and ties one test's set-up to another test's body. Every import in
a file under the root counts (module level or inside a function, absolute or relative, ``import`` or
``from ... import``); ``from pkg import test_x`` counts when ``test_x`` is a module of ``pkg``.

Usage: ``check_test_imports.py [ROOT]`` (default ``tests``). Prints ``file:line: imports test module M``
for each and exits 1 if there is any.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path


def _is_test_module(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith("test_")


def _package_of(root: Path, path: Path) -> list[str]:
    """The dotted package of a file under root, root's own name first (``tests/web/x.py`` -> tests.web)."""
    return [root.name, *path.relative_to(root).parts[:-1]]


def _absolute(root: Path, path: Path, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, relative levels resolved against the file's package."""
    if not node.level:
        return node.module or ""
    package = _package_of(root, path)
    base = package[: len(package) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def test_module_imports(root: Path, path: Path, tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, module) of each import in a file that reaches a test module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if any(_is_test_module(part) for part in alias.name.split(".")):
                    yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(root, path, node)
            if any(_is_test_module(part) for part in module.split(".")):
                yield node.lineno, module
                continue
            for alias in node.names:
                if _is_test_module(alias.name):
                    yield node.lineno, f"{module}.{alias.name}"


def offences(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, module in test_module_imports(root, path, tree):
            found.append(f"{path}:{line}: imports test module {module}")
    return found


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path("tests")
    found = offences(root)
    for line in found:
        print(line)
    if found:
        print(f"test modules imported by other files of {root}: {len(found)} (shared helpers go in tests/helpers.py)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
