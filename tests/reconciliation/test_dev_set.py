"""Alignment quality on the dev set in ``tests/data/reconcile`` (copied from the shared data).

Scoring as in the data README: pair precision/recall/F1 micro-averaged over all cases, and the
Jaccard index of the only-lists (for information).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from tandem.reconciliation.align import align, load_report_json

DATA = Path(__file__).resolve().parent.parent / "data" / "reconcile"
CASES = sorted(p for p in DATA.iterdir() if p.is_dir())


def test_dev_set_scores() -> None:
    assert len(CASES) == 12
    tp = fp = fn = 0
    only_inter = only_union = 0
    started = time.perf_counter()
    lines = []
    for case in CASES:
        rep_a = load_report_json((case / "a.json").read_bytes(), source=f"{case.name}/a.json")
        rep_b = load_report_json((case / "b.json").read_bytes(), source=f"{case.name}/b.json")
        expected = json.loads((case / "expected.json").read_text(encoding="utf-8"))
        al = align(rep_a, rep_b)
        predicted = {(p.a.ref, p.b.ref) for p in al.pairs}
        gold = {(a, b) for a, b in expected["pairs"]}
        c_tp, c_fp, c_fn = len(predicted & gold), len(predicted - gold), len(gold - predicted)
        tp, fp, fn = tp + c_tp, fp + c_fp, fn + c_fn
        only_pred = {("a", i.ref) for i in al.only_a} | {("b", i.ref) for i in al.only_b}
        only_gold = {("a", r) for r in expected["only_a"]} | {("b", r) for r in expected["only_b"]}
        only_inter += len(only_pred & only_gold)
        only_union += len(only_pred | only_gold)
        lines.append(f"{case.name:28} tp={c_tp:3} fp={c_fp:2} fn={c_fn:2}")
    elapsed = time.perf_counter() - started
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    jaccard = only_inter / only_union if only_union else 1.0
    print("\n".join(lines))
    print(
        f"pair precision={precision:.3f} recall={recall:.3f} F1={f1:.3f} "
        f"only-list Jaccard={jaccard:.3f} ({elapsed:.2f} s)"
    )
    assert f1 >= 0.95
    assert precision >= 0.97
