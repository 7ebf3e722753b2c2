#!/usr/bin/env python3
"""Fail on any import cycle between the modules of src/tandem (the notion of pylint's cyclic-import).

Each module (file) is a node, package ``__init__`` modules included; an import of another tandem module
anywhere in a file (module level or inside a function, absolute or relative; ``from pkg import name``
counts as ``pkg.name`` when that is a module, else ``pkg``) is an edge. Imports under
``if TYPE_CHECKING:`` are ignored. Prints every strongly connected component of more than one module
with the imports that tie it, and exits 1 if there is any.

Modules depend downward only: kit <- access/party <- case <- report/reconciliation/routing <- claim
(placement) <- entry points (endpoints, pages, cli, the worker's task list in ``tandem.tasks``).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

Edges = dict[str, dict[str, str]]


def _node_of(root: Path, path: Path) -> str:
    rel = list(path.relative_to(root).parts)
    rel[-1] = rel[-1].removesuffix(".py")
    if rel[-1] == "__init__":
        rel = rel[:-1]
    return ".".join([root.name, *rel])


def _resolve(root: Path, name: str) -> str | None:
    """The module a dotted name refers to: itself if a module/package, else its longest module prefix."""
    parts = name.split(".")
    while len(parts) > 1:
        p = root.joinpath(*parts[1:])
        if p.with_suffix(".py").exists() or (p / "__init__.py").exists():
            return ".".join(parts)
        parts = parts[:-1]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_edges(root: Path) -> Edges:
    """Module -> imported module -> where (file:line of the first such import)."""
    edges: Edges = {}
    top = root.name
    for f in sorted(root.rglob("*.py")):
        src = _node_of(root, f)
        pkg_parts = [top, *f.relative_to(root).parts[:-1]]
        tree = ast.parse(f.read_text(encoding="utf-8"))
        skip: set[int] = set()
        for n in ast.walk(tree):
            if isinstance(n, ast.If) and _is_type_checking(n.test):
                for m in n.body:
                    skip.update(id(k) for k in ast.walk(m))
        for n in ast.walk(tree):
            if id(n) in skip:
                continue
            targets: list[str] = []
            if isinstance(n, ast.Import):
                targets = [a.name for a in n.names]
            elif isinstance(n, ast.ImportFrom):
                if n.level:
                    base = pkg_parts[: len(pkg_parts) - (n.level - 1)]
                    mod = ".".join(base + ([n.module] if n.module else []))
                else:
                    mod = n.module or ""
                targets = [f"{mod}.{a.name}" for a in n.names]
            for t in targets:
                if not t.startswith(top + "."):
                    continue
                dst = _resolve(root, t)
                if dst and dst != src and not src.startswith(dst + "."):
                    edges.setdefault(src, {}).setdefault(dst, f"{f}:{n.lineno}")
    return edges


def cycles(edges: Edges) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found: list[list[str]] = []
    nodes = sorted(set(edges) | {d for e in edges.values() for d in e})
    for start in nodes:
        if start in index:
            continue
        work: list[tuple[str, list[str]]] = [(start, sorted(edges.get(start, {})))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on.add(start)
        while work:
            v, todo = work[-1]
            if todo:
                w = todo.pop()
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, sorted(edges.get(w, {}))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[v])
            if low[v] == index[v]:
                comp: list[str] = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return sorted(found)


def main(argv: list[str]) -> int:
    root = Path(argv[1] if len(argv) > 1 else "src/tandem")
    if not root.is_dir():
        print(f"no {root}")
        return 1
    edges = import_edges(root)
    found = cycles(edges)
    for comp in found:
        print("cycle: " + " <-> ".join(comp))
        for a in comp:
            for b, where in sorted(edges.get(a, {}).items()):
                if b in comp:
                    print(f"  {a} -> {b}  ({where})")
    print(f"import cycles between modules of {root}: {len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
