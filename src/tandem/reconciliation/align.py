"""Item alignment of two reports on one subject (两份报告逐项对齐).

Two adjusters — in claims the broker's and the insurer's adjuster, in underwriting two
pre-assessments — describe the same subject item by item in their own words, order and units. The
engine pairs items one to one *within a section* and lists the items only one report has; it is the
first step of competitive consultation (竞争性磋商), see ``docs/reconciliation.md`` §1.

How a pair is scored
--------------------
Every candidate pair (same section) gets a score from

* identifiers (see :mod:`tandem.reconciliation.normalize`): building/unit numbers, floors, zones,
  container numbers and model/tag/spec tokens must agree when both items give them — a conflict
  (``P-101A`` vs ``P-101B``, ``2#`` vs ``4#``, ``B区`` vs ``C区``) rules the pair out;
* similarity of the core wording after synonym mapping (character uni-/bigrams);
* figures: loss, quantity and unit value compared in base units (1 t = 1000 kg, 1 亩 = 666.67 ㎡),
  depreciation, unit dimension, and the category.

The weights are those of a logistic model fitted on synthetic report pairs; the score is its
log-odds and ``confidence`` its probability. Within each section an optimal one-to-one assignment
(Hungarian method) maximises the summed score above a conservative threshold: an unpaired item is
cheaper to fix than a wrong pair.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from tandem.kit.money import DecimalInputError, fmt, parse_decimal
from tandem.reconciliation.normalize import (
    ID_KINDS,
    DescriptionKey,
    UnitInfo,
    analyse_description,
    canonical_category,
    char_features,
    unit_info,
)

__all__ = [
    "FIELDS_COMPARED",
    "Alignment",
    "Item",
    "Pair",
    "Report",
    "ReportInputError",
    "align",
    "alignment_to_json",
    "load_report_json",
    "parse_report",
]

FIELDS_COMPARED = ("quantity", "unit", "unit_value", "depreciation_rate")
"""Fields reported in ``fields_differ`` when they differ after normalisation."""


# --------------------------------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------------------------------


class ReportInputError(ValueError):
    """A report file that cannot be used: ``source`` names the file, ``path`` the field
    (``items[3].loss``; empty for a file-level problem)."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a loss or valuation report. Amounts are :class:`~decimal.Decimal`."""

    ref: str
    section: str
    description: str
    loss: Decimal
    category: str | None = None
    quantity: Decimal | None = None
    unit: str | None = None
    unit_value: Decimal | None = None
    depreciation_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Report:
    """A parsed report: its items in file order."""

    items: tuple[Item, ...]
    report_no: str | None = None
    adjuster_firm: str | None = None
    source: str = ""

    @property
    def total(self) -> Decimal:
        return sum((item.loss for item in self.items), Decimal(0))


# This input's own wording for two of the parser's rules (the rest are the parser's).
_DECIMAL_PROBLEMS = {
    "float": "must be a decimal string, not a binary float",
    "type": "must be a decimal string",
}


def _decimal(value: Any, source: str, path: str, *, required: bool) -> Decimal | None:
    if value is None:
        if required:
            raise ReportInputError(source, path, "is required")
        return None
    try:
        result = parse_decimal(value)
    except DecimalInputError as exc:
        raise ReportInputError(source, path, _DECIMAL_PROBLEMS.get(exc.kind, exc.problem)) from None
    if result < 0:
        raise ReportInputError(source, path, "must not be negative")
    return result


def _text(value: Any, source: str, path: str, *, required: bool) -> str | None:
    if value is None:
        if required:
            raise ReportInputError(source, path, "is required")
        return None
    if isinstance(value, int) and not isinstance(value, bool) and path.endswith(".ref"):
        value = str(value)
    if not isinstance(value, str):
        raise ReportInputError(source, path, "must be a string")
    if required and not value.strip():
        raise ReportInputError(source, path, "must not be empty")
    return value


def parse_report(doc: Any, *, source: str) -> Report:
    """Validate a decoded report (decode JSON with ``parse_float=Decimal``) and build a
    :class:`Report`. Raises :class:`ReportInputError` naming ``source`` and the offending field."""
    if not isinstance(doc, Mapping):
        raise ReportInputError(source, "", "the report must be a JSON object")
    report_no = _text(doc.get("report_no"), source, "report_no", required=False)
    firm = _text(doc.get("adjuster_firm"), source, "adjuster_firm", required=False)
    raw_items = doc.get("items")
    if raw_items is None:
        raise ReportInputError(source, "items", "is required")
    if not isinstance(raw_items, list):
        raise ReportInputError(source, "items", "must be a list")
    items: list[Item] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_items):
        where = f"items[{index}]"
        if not isinstance(raw, Mapping):
            raise ReportInputError(source, where, "must be an object")
        ref = _text(raw.get("ref"), source, f"{where}.ref", required=True)
        section = _text(raw.get("section"), source, f"{where}.section", required=True)
        description = _text(raw.get("description"), source, f"{where}.description", required=True)
        loss = _decimal(raw.get("loss"), source, f"{where}.loss", required=True)
        assert ref is not None and section is not None and description is not None and loss is not None
        if ref in seen:
            raise ReportInputError(source, f"{where}.ref", f"duplicate ref {ref!r}")
        seen.add(ref)
        rate = _decimal(raw.get("depreciation_rate"), source, f"{where}.depreciation_rate", required=False)
        if rate is not None and rate > 1:
            raise ReportInputError(source, f"{where}.depreciation_rate", "must be between 0 and 1")
        items.append(
            Item(
                ref=ref,
                section=section,
                description=description,
                loss=loss,
                category=_text(raw.get("category"), source, f"{where}.category", required=False),
                quantity=_decimal(raw.get("quantity"), source, f"{where}.quantity", required=False),
                unit=_text(raw.get("unit"), source, f"{where}.unit", required=False),
                unit_value=_decimal(raw.get("unit_value"), source, f"{where}.unit_value", required=False),
                depreciation_rate=rate,
            )
        )
    return Report(items=tuple(items), report_no=report_no, adjuster_firm=firm, source=source)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def load_report_json(data: str | bytes, *, source: str) -> Report:
    """Decode a report file's text (UTF-8, amounts kept as Decimal) and validate it."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    except UnicodeDecodeError:
        raise ReportInputError(source, "", "not UTF-8 text") from None
    try:
        doc = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ReportInputError(
            source, "", f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ReportInputError(source, "", f"not valid JSON: {exc}") from None
    return parse_report(doc, source=source)


# --------------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """Two items taken to be the same thing."""

    a: Item
    b: Item
    confidence: float
    fields_differ: tuple[str, ...]

    @property
    def difference(self) -> Decimal:
        return self.a.loss - self.b.loss


@dataclass(frozen=True, slots=True)
class Alignment:
    """Result of :func:`align`: pairs in report-A order, then the unpaired items of each side."""

    a: Report
    b: Report
    pairs: tuple[Pair, ...]
    only_a: tuple[Item, ...]
    only_b: tuple[Item, ...]

    @property
    def paired_a(self) -> Decimal:
        return sum((p.a.loss for p in self.pairs), Decimal(0))

    @property
    def paired_b(self) -> Decimal:
        return sum((p.b.loss for p in self.pairs), Decimal(0))


def alignment_to_json(al: Alignment) -> dict[str, Any]:
    """The contract's JSON shape; amounts as strings with two decimals.

    ``totals.difference`` is ``totals.a − totals.b`` (the gap between the two reports).
    """
    return {
        "pairs": [
            {
                "a": p.a.ref,
                "b": p.b.ref,
                "confidence": round(min(p.confidence, 0.999), 3),
                "loss_a": fmt(p.a.loss),
                "loss_b": fmt(p.b.loss),
                "difference": fmt(p.difference),
                "fields_differ": list(p.fields_differ),
            }
            for p in al.pairs
        ],
        "only_a": [item.ref for item in al.only_a],
        "only_b": [item.ref for item in al.only_b],
        "totals": {
            "a": fmt(al.a.total),
            "b": fmt(al.b.total),
            "paired_a": fmt(al.paired_a),
            "paired_b": fmt(al.paired_b),
            "difference": fmt(al.a.total - al.b.total),
        },
    }


# --------------------------------------------------------------------------------------------------
# Normalised facts per item
# --------------------------------------------------------------------------------------------------

_ZERO = Decimal(0)
_LUMP = UnitInfo(key="项", dimension="lump", factor=Decimal(1))


@dataclass(frozen=True, slots=True)
class _Facts:
    item: Item
    key: DescriptionKey
    unigrams: frozenset[str]
    bigrams: frozenset[str]
    category: str
    unit: UnitInfo | None
    quantity: Decimal | None
    unit_value: Decimal | None
    depreciation: Decimal
    ids: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _facts(item: Item) -> _Facts:
    key = analyse_description(item.description)
    unigrams, bigrams = char_features(key.core)
    unit = unit_info(item.unit)
    quantity = item.quantity
    value = item.unit_value
    if quantity is None and value is None and unit is None:
        # a lump sum given by its loss only is one lot at that value
        unit, quantity, value = _LUMP, Decimal(1), item.loss
    return _Facts(
        item=item,
        key=key,
        unigrams=unigrams,
        bigrams=bigrams,
        category=canonical_category(item.category),
        unit=unit,
        quantity=quantity,
        unit_value=value,
        depreciation=item.depreciation_rate if item.depreciation_rate is not None else _ZERO,
        ids={kind: key.id_set(kind) for kind in ID_KINDS},
    )


def _scaled(fa: _Facts, fb: _Facts) -> tuple[Decimal | None, Decimal | None, Decimal | None, Decimal | None, bool]:
    """Quantities and unit values of both items in a common base unit, and whether a scale
    conversion was needed (kg ↔ t, 亩 ↔ ㎡)."""
    ua, ub = fa.unit, fb.unit
    if ua is None or ub is None or ua.dimension != ub.dimension or ua.factor == ub.factor:
        return fa.quantity, fb.quantity, fa.unit_value, fb.unit_value, False
    qa = fa.quantity * ua.factor if fa.quantity is not None else None
    qb = fb.quantity * ub.factor if fb.quantity is not None else None
    va = fa.unit_value / ua.factor if fa.unit_value is not None else None
    vb = fb.unit_value / ub.factor if fb.unit_value is not None else None
    return qa, qb, va, vb, True


def _same(x: Decimal | None, y: Decimal | None, *, tolerance: Decimal | None) -> bool:
    """Equal values; ``tolerance`` (absolute) is ``None`` when no unit conversion was involved, so
    the comparison is exact."""
    if x is None or y is None:
        return x is None and y is None
    if tolerance is None:
        return x == y
    return abs(x - y) <= tolerance


def _tolerances(fa: _Facts, fb: _Facts, converted: bool) -> tuple[Decimal | None, Decimal | None]:
    """Rounding allowance for quantity and unit value after a unit conversion, per base unit.

    A converted figure was rounded in its own unit: a quantity to about 0.5 %, a unit value to half a
    cent of the finer unit.
    """
    if not converted:
        return None, None
    factors = [f.unit.factor for f in (fa, fb) if f.unit is not None and f.unit.factor > 0]
    finest = min(factors) if factors else Decimal(1)
    qs = [abs(q) * f.unit.factor for f in (fa, fb) if f.unit is not None and (q := f.quantity) is not None]
    vs = [abs(v) / f.unit.factor for f in (fa, fb) if f.unit is not None and (v := f.unit_value) is not None]
    quantity_tol = Decimal("0.005") * max(qs, default=_ZERO)
    value_tol = Decimal("0.0051") / finest + Decimal("0.0001") * max(vs, default=_ZERO)
    return quantity_tol, value_tol


def _fields_differ(fa: _Facts, fb: _Facts) -> tuple[str, ...]:
    qa, qb, va, vb, converted = _scaled(fa, fb)
    quantity_tol, value_tol = _tolerances(fa, fb, converted)
    out: list[str] = []
    if not _same(qa, qb, tolerance=quantity_tol):
        out.append("quantity")
    ua, ub = fa.unit, fb.unit
    # units differ when they measure different things (㎡ vs 台); 平米/㎡, kg/t or 台/套 do not
    if (ua is None) != (ub is None) or (ua is not None and ub is not None and ua.dimension != ub.dimension):
        out.append("unit")
    if not _same(va, vb, tolerance=value_tol):
        out.append("unit_value")
    if fa.depreciation != fb.depreciation:
        out.append("depreciation_rate")
    return tuple(out)


# --------------------------------------------------------------------------------------------------
# Pair scoring
# --------------------------------------------------------------------------------------------------

_LOCATION_KINDS = ("no", "floor", "zone", "side", "container")

FEATURES = (
    "bias",
    "text_bigram_dice",
    "text_bigram_containment",
    "text_unigram_dice",
    "text_equal",
    "loss_closeness",
    "quantity_equal",
    "quantity_equal_informative",
    "quantity_closeness",
    "unit_value_equal",
    "unit_value_closeness",
    "depreciation_equal",
    "unit_same",
    "dimension_conflict",
    "location_match",
    "location_one_sided",
    "code_match",
    "code_one_sided",
    "category_same",
    "latin_word_match",
)

# Logistic weights, one per feature above: an L2-regularised logistic regression on every same-section
# candidate pair of the 12 synthetic dev cases (tests/data/reconcile), computed three times: with the
# full synonym list, without the synonyms only that case needs, and with no synonyms at all — so that
# matching figures and identifiers can carry a pair whose wording is not in the list. Leave-one-case-out
# refits move no weight by more than about 0.5.
# fmt: off
WEIGHTS = (
    -9.64, 1.5, 1.9, 4.13, 0.37, 1.83, 0.41, 1.54, 2.16, 2.72, 2.71, 1.0, 0.23, -0.37, 1.17, -0.65, 2.03,
    -1.44, 0.09, 0.39,
)
# fmt: on
THRESHOLD = 0.0
"""Minimum log-odds for a pair (0 = probability one half). On the dev cases the best-scoring wrong
candidate stays below −2 and nearly all true pairs are above +3, so 0 leaves a margin on the side of
precision."""


def _dice(x: frozenset[str], y: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return 2.0 * len(x & y) / (len(x) + len(y))


def _containment(x: frozenset[str], y: frozenset[str]) -> float:
    if not x or not y:
        return 0.0
    return len(x & y) / min(len(x), len(y))


def _closeness(x: Decimal | None, y: Decimal | None) -> float:
    """1 for equal positive values, falling linearly to 0 at a factor of two apart."""
    if x is None or y is None or x <= 0 or y <= 0:
        return 0.0
    ratio = abs(math.log(float(x) / float(y)))
    return max(0.0, 1.0 - ratio / math.log(2.0))


def _informative(quantity: Decimal) -> bool:
    """An equal quantity is evidence only when it is not a small whole number (1 lot, 3 sets)."""
    return quantity != quantity.to_integral_value() or quantity > 20


def _id_relation(a: frozenset[str], b: frozenset[str]) -> str:
    if not a and not b:
        return "none"
    if not a or not b:
        return "one_sided"
    if a == b:
        return "match"
    if a <= b or b <= a:
        return "partial"
    return "conflict"


def pair_features(fa: _Facts, fb: _Facts) -> list[float] | None:
    """Feature vector of a candidate pair, or ``None`` when identifiers rule it out."""
    location_match = location_one_sided = 0.0
    code_match = code_one_sided = 0.0
    for kind in ID_KINDS:
        relation = _id_relation(fa.ids[kind], fb.ids[kind])
        if relation == "conflict":
            return None
        if relation == "none":
            continue
        if kind in _LOCATION_KINDS:
            if relation in ("match", "partial"):
                location_match = 1.0
            if relation in ("one_sided", "partial"):
                location_one_sided = 1.0
        else:
            if relation in ("match", "partial"):
                code_match = 1.0
            if relation in ("one_sided", "partial"):
                code_one_sided = 1.0

    qa, qb, va, vb, converted = _scaled(fa, fb)
    quantity_tol, value_tol = _tolerances(fa, fb, converted)
    la, lb = fa.item.loss, fb.item.loss
    ua, ub = fa.unit, fb.unit
    dimension_conflict = (
        ua is not None
        and ub is not None
        and ua.dimension != ub.dimension
        and {ua.dimension, ub.dimension} != {"count", "lump"}
    )
    quantity_equal = (
        qa is not None and qb is not None and not dimension_conflict and _same(qa, qb, tolerance=quantity_tol)
    )
    value_equal = va is not None and vb is not None and not dimension_conflict and _same(va, vb, tolerance=value_tol)
    return [
        1.0,
        _dice(fa.bigrams, fb.bigrams),
        _containment(fa.bigrams, fb.bigrams),
        _dice(fa.unigrams, fb.unigrams),
        1.0 if fa.key.core and fa.key.core == fb.key.core else 0.0,
        _closeness(la, lb),
        1.0 if quantity_equal else 0.0,
        1.0 if quantity_equal and qa is not None and _informative(qa) else 0.0,
        0.0 if dimension_conflict else _closeness(qa, qb),
        1.0 if value_equal else 0.0,
        0.0 if dimension_conflict else _closeness(va, vb),
        1.0 if fa.depreciation == fb.depreciation else 0.0,
        1.0 if ua is not None and ub is not None and ua.key == ub.key else 0.0,
        1.0 if dimension_conflict else 0.0,
        location_match,
        location_one_sided,
        code_match,
        code_one_sided,
        1.0 if fa.category and fa.category == fb.category else 0.0,
        1.0 if fa.key.words & fb.key.words else 0.0,
    ]


def _score(features: Sequence[float]) -> float:
    return sum(w * x for w, x in zip(WEIGHTS, features, strict=True))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


# --------------------------------------------------------------------------------------------------
# Assignment
# --------------------------------------------------------------------------------------------------


def _hungarian(cost: list[list[float]]) -> list[int]:
    """Minimum-cost assignment of every row to a distinct column (rows ≤ columns).

    Returns, for each row, its column. Classic O(n²·m) shortest augmenting path method with
    potentials.
    """
    n = len(cost)
    m = len(cost[0]) if n else 0
    inf = float("inf")
    u = [0.0] * (n + 1)
    v = [0.0] * (m + 1)
    match_col = [0] * (m + 1)  # column -> row (1-based, 0 = free)
    way = [0] * (m + 1)
    for i in range(1, n + 1):
        match_col[0] = i
        j0 = 0
        minv = [inf] * (m + 1)
        used = [False] * (m + 1)
        while True:
            used[j0] = True
            i0 = match_col[j0]
            delta = inf
            j1 = 0
            row = cost[i0 - 1]
            for j in range(1, m + 1):
                if not used[j]:
                    current = row[j - 1] - u[i0] - v[j]
                    if current < minv[j]:
                        minv[j] = current
                        way[j] = j0
                    if minv[j] < delta:
                        delta = minv[j]
                        j1 = j
            for j in range(m + 1):
                if used[j]:
                    u[match_col[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if match_col[j0] == 0:
                break
        while True:
            j1 = way[j0]
            match_col[j0] = match_col[j1]
            j0 = j1
            if j0 == 0:
                break
    result = [-1] * n
    for j in range(1, m + 1):
        if match_col[j]:
            result[match_col[j] - 1] = j - 1
    return result


def _assign(gain: list[list[float | None]]) -> list[tuple[int, int]]:
    """Pairs (row, column) maximising the summed positive gain; ``None`` forbids a pair."""
    n = len(gain)
    m = len(gain[0]) if n else 0
    if n == 0 or m == 0:
        return []
    transpose = n > m
    rows = [list(col) for col in zip(*gain, strict=True)] if transpose else [list(r) for r in gain]
    cost = [[-(g if g is not None and g > 0 else 0.0) for g in row] for row in rows]
    chosen = _hungarian(cost)
    pairs: list[tuple[int, int]] = []
    for i, j in enumerate(chosen):
        g = rows[i][j]
        if g is None or g <= 0:
            continue
        pairs.append((j, i) if transpose else (i, j))
    return pairs


# --------------------------------------------------------------------------------------------------
# Alignment
# --------------------------------------------------------------------------------------------------


def score_pair(a: Item, b: Item) -> float | None:
    """Log-odds that two items are the same thing (``None``: ruled out, e.g. other section)."""
    if a.section != b.section:
        return None
    features = pair_features(_facts(a), _facts(b))
    return None if features is None else _score(features)


def align(a: Report, b: Report) -> Alignment:
    """Pair the items of two reports one to one within each section."""
    facts_a = [_facts(item) for item in a.items]
    facts_b = [_facts(item) for item in b.items]
    chosen: dict[int, tuple[int, float]] = {}
    sections = dict.fromkeys(item.section for item in a.items)
    for section in sections:
        rows = [i for i, f in enumerate(facts_a) if f.item.section == section]
        cols = [j for j, f in enumerate(facts_b) if f.item.section == section]
        if not rows or not cols:
            continue
        scores: list[list[float | None]] = []
        for i in rows:
            line: list[float | None] = []
            for j in cols:
                features = pair_features(facts_a[i], facts_b[j])
                line.append(None if features is None else _score(features))
            scores.append(line)
        gain = [[None if s is None else s - THRESHOLD for s in line] for line in scores]
        for r, c in _assign(gain):
            score = scores[r][c]
            assert score is not None
            chosen[rows[r]] = (cols[c], score)
    pairs: list[Pair] = []
    taken_b: set[int] = set()
    for i, fa in enumerate(facts_a):
        if i not in chosen:
            continue
        j, score = chosen[i]
        taken_b.add(j)
        fb = facts_b[j]
        pairs.append(Pair(a=fa.item, b=fb.item, confidence=_sigmoid(score), fields_differ=_fields_differ(fa, fb)))
    return Alignment(
        a=a,
        b=b,
        pairs=tuple(pairs),
        only_a=tuple(f.item for i, f in enumerate(facts_a) if i not in chosen),
        only_b=tuple(f.item for j, f in enumerate(facts_b) if j not in taken_b),
    )


# ---- risk points (pre-assessments, staged risk reports) ---------------------------------------------


@dataclass(frozen=True, slots=True)
class RiskPoint:
    """One risk point (风险点) of a risk report, as the engine compares it."""

    ref: str
    title: str
    location: str
    level: str
    coefficient: Decimal


@dataclass(frozen=True, slots=True)
class RiskPair:
    a: RiskPoint
    b: RiskPoint
    confidence: float
    fields_differ: tuple[str, ...]


def align_risk_points(
    a: Sequence[RiskPoint], b: Sequence[RiskPoint]
) -> tuple[list[RiskPair], list[RiskPoint], list[RiskPoint]]:
    """Pair the risk points of two reports one to one by what and where they are — the items' text
    matcher over title and location — and name what differs in a pair (level, coefficient)."""

    def as_items(points: Sequence[RiskPoint]) -> Report:
        return Report(
            items=tuple(
                Item(ref=p.ref, section="risk", description=f"{p.title} {p.location}", loss=Decimal(0)) for p in points
            )
        )

    by_a, by_b = {p.ref: p for p in a}, {p.ref: p for p in b}
    al = align(as_items(a), as_items(b))
    pairs = []
    for pair in al.pairs:
        pa, pb = by_a[pair.a.ref], by_b[pair.b.ref]
        differ = tuple(f for f in ("level", "coefficient") if getattr(pa, f) != getattr(pb, f))
        pairs.append(RiskPair(pa, pb, pair.confidence, differ))
    return pairs, [by_a[i.ref] for i in al.only_a], [by_b[i.ref] for i in al.only_b]
