"""Ranking metrics exactly as ``data/experts/README.md`` defines them.

Per query on the system's ranked list (duplicates ignored, unknown ids count as grade 0):

* nDCG@k: gain = grade (0, 1, 2), discount 1/log2(rank + 1), normalised by the ideal DCG of the
  query's labels;
* recall@k: relevant experts (grade ≥ 1) in the top k divided by min(k, number of relevant experts);
* precision@k: relevant experts (grade ≥ 1) in the top k divided by k.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

__all__ = ["dedupe", "evaluate", "ndcg_at_k", "precision_at_k", "recall_at_k"]


def dedupe(ranked: Iterable[str]) -> list[str]:
    """Keep the first occurrence of each id."""
    seen: set[str] = set()
    out: list[str] = []
    for r in ranked:
        if r not in seen:
            seen.add(r)
            out.append(r)
    return out


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    top = dedupe(ranked)[:k]
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(top))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 10) -> float:
    n_rel = sum(1 for g in relevant.values() if g >= 1)
    if n_rel == 0:
        return 0.0
    hits = sum(1 for d in dedupe(ranked)[:k] if relevant.get(d, 0) >= 1)
    return hits / min(k, n_rel)


def precision_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int = 5) -> float:
    hits = sum(1 for d in dedupe(ranked)[:k] if relevant.get(d, 0) >= 1)
    return hits / k


def evaluate(runs: Sequence[tuple[Sequence[str], Mapping[str, int]]], k: int = 10, p_k: int = 5) -> dict[str, float]:
    """Mean nDCG@k, recall@k and precision@p_k over ``(ranked ids, labels)`` pairs."""
    n = len(runs)
    if n == 0:
        return {f"ndcg@{k}": 0.0, f"recall@{k}": 0.0, f"p@{p_k}": 0.0}
    return {
        f"ndcg@{k}": sum(ndcg_at_k(r, rel, k) for r, rel in runs) / n,
        f"recall@{k}": sum(recall_at_k(r, rel, k) for r, rel in runs) / n,
        f"p@{p_k}": sum(precision_at_k(r, rel, p_k) for r, rel in runs) / n,
    }
