"""Expert screening search core (专家库筛选, R-C6).

Scoring
    Every profile field is a bm25s index (``FIELDS``; specialties weigh most, the bio least) over one
    shared vocabulary; the field weights are folded into a single pre-combined sparse matrix so that a
    query token costs one posting-list pass. A query is scored as a sum of *units*: the notice's own
    tokens, plus one unit per concept of the synonym/concept map (``textproc``) that the notice
    triggers. Each unit's BM25 score is divided by its best score among the candidates and weighted by
    the concept's weight (more distinct trigger words → more weight), so that a concept the notice
    merely brushes against cannot outvote the one it is about.

Filters (line, region) are soft
    An expert missing a filter keeps ``miss_factor`` of its score per missed filter: experts meeting
    every filter come first, and a strong near miss (the right specialist one province away) ranks
    after them instead of disappearing. ``miss_factor=0`` makes them hard filters.

Incremental updates
    The bulk of the profiles lives in a *base* segment. ``upsert``/``remove`` tombstone the base row;
    new versions go to a small *delta* segment whose per-token scores are computed with the base
    segment's corpus statistics (document frequencies, average lengths), so nothing is re-indexed: a
    touched expert ranks as after a rebuild, with scores within a fraction of a percent. When the delta
    outgrows ``merge_threshold`` (or ``merge_fraction`` of the base) the base is rebuilt with bm25s
    from the stored token ids — no re-tokenising; for large indexes in a background thread while
    searches and updates carry on (updates made meanwhile are replayed onto the new base).
    ``save``/``load`` write the bm25s indexes plus a JSON/npz sidecar.

Speed
    (field, token) postings found in more than ``max_df_ratio`` of the profiles (保险 in the lines,
    工程 of 工程师 in titles) are left out of the combined matrix: they weigh next to nothing and are
    the longest lists. See ``bench/expert_search.py``.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import bm25s
import numpy as np
import numpy.typing as npt

from tandem.expert.textproc import Analyzer, Expansion, get_analyzer

__all__ = ["FIELDS", "ExpertDoc", "ExpertIndex", "Hit", "SearchParams", "load_experts"]

F32 = npt.NDArray[np.float32]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

FORMAT_VERSION = 1

# Indexed fields. ``spec_head``: the specialties without the trailing one of a 3+ list (profiles add an
# optional secondary specialty at the end); ``bio_head``: the bio's first sentence, which states the
# expert's main practice.
FIELDS: tuple[str, ...] = (
    "specialties",
    "spec_head",
    "lines",
    "certificates",
    "title",
    "organisation",
    "bio_head",
    "bio",
)
_LIST_FIELDS = ("specialties", "lines", "certificates")
_SENTENCE_RE = re.compile(r"(?<=[。！？!?；;])")


# ---------------------------------------------------------------------------------------------- data


@dataclass(frozen=True)
class ExpertDoc:
    """One expert profile, as in ``experts.jsonl``."""

    id: str
    name: str
    title: str = ""
    organisation: str = ""
    owner_type: str = ""
    specialties: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    certificates: tuple[str, ...] = ()
    years: int = 0
    bio: str = ""

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpertDoc:
        return cls(
            id=str(data["id"]),
            name=str(data.get("name", "")),
            title=str(data.get("title", "") or ""),
            organisation=str(data.get("organisation", "") or ""),
            owner_type=str(data.get("owner_type", "") or ""),
            specialties=tuple(str(s) for s in data.get("specialties", ()) or ()),
            lines=tuple(str(s) for s in data.get("lines", ()) or ()),
            regions=tuple(str(s) for s in data.get("regions", ()) or ()),
            certificates=tuple(str(s) for s in data.get("certificates", ()) or ()),
            years=int(data.get("years", 0) or 0),
            bio=str(data.get("bio", "") or ""),
        )

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("specialties", "lines", "regions", "certificates"):
            d[k] = list(d[k])
        return d

    @property
    def head_specialties(self) -> tuple[str, ...]:
        return self.specialties[:-1] if len(self.specialties) >= 3 else self.specialties


def load_experts(path: Path | str) -> list[ExpertDoc]:
    """Read a JSONL file of expert profiles."""
    with Path(path).open(encoding="utf-8") as fh:
        return [ExpertDoc.from_dict(json.loads(line)) for line in fh if line.strip()]


@dataclass(frozen=True)
class Hit:
    """One ranked expert. ``matched`` explains the match: ``specialties:火灾原因调查``,
    ``lines:企业财产保险``, ``bio:注塑、厂房``, ``filter:region=广东`` (or ``filter-miss:…`` for a near
    miss ranked after the experts meeting every filter), ``synonym:厂房着火→火灾``."""

    id: str
    name: str
    score: float
    matched: list[str]
    meets_filters: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "score": self.score,
            "matched": list(self.matched),
            "meets_filters": self.meets_filters,
        }


def _default_weights() -> dict[str, float]:
    return {
        "specialties": 3.0,
        "spec_head": 1.0,
        "lines": 0.6,
        "certificates": 0.6,
        "title": 0.4,
        "organisation": 0.3,
        "bio_head": 1.2,
        "bio": 1.2,
    }


@dataclass
class SearchParams:
    """Ranking knobs; persisted with the index."""

    field_weights: dict[str, float] = field(default_factory=_default_weights)
    k1: float = 1.2
    b: float = 0.75
    query_weight: float = 1.0  # unit of the notice's own tokens
    concept_weight: float = 1.0  # unit of a concept seen through one trigger word
    trigger_power: float = 0.5  # concept weight × (distinct trigger words) ** trigger_power
    normalize_units: bool = True  # divide each unit by its best score among the candidates
    miss_factor: float = 0.5  # score kept per missed filter; 0 = hard filters
    # A token found in more than this fraction of the profiles *in one field* (保险 in lines, 工程 of
    # 工程师 in titles) carries next to no BM25 weight there but has the longest posting list: such
    # (field, token) postings are left out of the combined matrix (never below 100 profiles, so small
    # indexes keep everything). 0 keeps everything.
    max_df_ratio: float = 0.1
    merge_threshold: int = 256  # delta size that triggers a merge into the base segment …
    merge_fraction: float = 0.02  # … or this fraction of the base size, whichever is larger
    # Merges of a base this large run in a background thread (searches and updates carry on);
    # smaller ones are quick and run inline. 0 = always inline.
    background_merge_min: int = 20_000

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SearchParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class _Unit:
    name: str
    weight: float
    tokens: dict[str, float]  # token -> weight inside the unit


@dataclass
class _Query:
    units: list[_Unit]
    tokens: set[str]  # every token of every unit (for explanations)
    expansions: list[Expansion]
    literal: set[str]  # tokens of the notice itself
    gids: set[int] | None = None  # ids of the multi-character tokens, filled in by the explanations


# -------------------------------------------------------------------------------------------- segment


def _ragged(rows: Sequence[npt.NDArray[Any]]) -> tuple[I32, I64]:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    offsets = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    ids = np.concatenate(rows).astype(np.int32) if rows and offsets[-1] else np.zeros(0, np.int32)
    return ids, offsets


class _Base:
    """Immutable base segment: per-field bm25s indexes, token ids per row and the combined matrix."""

    def __init__(
        self,
        docs: list[ExpertDoc],
        tokens: dict[str, tuple[I32, I64]],
        n_vocab: int,
        params: SearchParams,
        bm25: dict[str, bm25s.BM25] | None = None,
    ) -> None:
        self.docs = docs
        self.n = len(docs)
        self.tokens = tokens
        self.n_vocab = n_vocab
        # None for a field without a single token (bm25s cannot index an all-empty field).
        self.bm25: dict[str, bm25s.BM25 | None] = {}
        self.df: dict[str, I64] = {}
        self.avgdl: dict[str, float] = {}
        for f in FIELDS:
            ids, offs = tokens[f]
            lengths = np.diff(offs)
            self.avgdl[f] = float(lengths.mean()) if self.n and lengths.sum() > 0 else 1.0
            bm: bm25s.BM25 | None = None
            if bm25 is not None:
                bm = bm25.get(f)
            elif len(ids):
                bm = bm25s.BM25(k1=params.k1, b=params.b, method="lucene")
                corpus = [ids[offs[i] : offs[i + 1]].tolist() for i in range(self.n)]
                bm.index((corpus, {i: i for i in range(n_vocab)}), create_empty_token=False, show_progress=False)
            self.bm25[f] = bm
            if bm is not None:
                self.df[f] = np.diff(np.asarray(bm.scores["indptr"], dtype=np.int64)).astype(np.int64)
            else:
                self.df[f] = np.zeros(n_vocab, dtype=np.int64)
        self.data, self.indices, self.indptr = self._combine(params)
        self.mask_cache: dict[tuple[str, str], Bools] = {}
        self.factor_cache: dict[tuple[str, str, float], F32] = {}
        self.value_rows: dict[tuple[str, str], list[int]] | None = None

    def _combine(self, params: SearchParams) -> tuple[F32, I32, I64]:
        """Σ_field weight × field BM25 matrix, as one CSC matrix (columns = tokens)."""
        V = self.n_vocab
        if not self.n:
            return np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(V + 1, np.int64)
        keys: list[I64] = []
        vals: list[F32] = []
        for f in FIELDS:
            w = params.field_weights.get(f, 0.0)
            if w <= 0:
                continue
            bm = self.bm25[f]
            if bm is None:
                continue
            sc = bm.scores
            indptr = np.asarray(sc["indptr"], dtype=np.int64)
            df = np.diff(indptr)
            cols = np.repeat(np.arange(len(indptr) - 1, dtype=np.int64), df)
            key = cols * self.n + np.asarray(sc["indices"], dtype=np.int64)
            val = np.asarray(sc["data"], dtype=np.float32) * np.float32(w)
            if params.max_df_ratio > 0:
                keep = np.repeat(df <= max(params.max_df_ratio * self.n, 100.0), df)
                key, val = key[keep], val[keep]
            keys.append(key)
            vals.append(val)
        if not keys:
            return np.zeros(0, np.float32), np.zeros(0, np.int32), np.zeros(V + 1, np.int64)
        key = np.concatenate(keys)
        val = np.concatenate(vals)
        order = np.argsort(key, kind="stable")
        key = key[order]
        val = val[order]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        data = np.add.reduceat(val, starts).astype(np.float32)
        ukey = key[starts]
        cols = ukey // self.n
        indices = (ukey % self.n).astype(np.int32)
        indptr = np.zeros(V + 1, dtype=np.int64)
        np.cumsum(np.bincount(cols, minlength=V)[:V], out=indptr[1:])
        return data, indices, indptr

    def col_len(self, gid: int) -> int:
        """Number of base rows containing token ``gid`` in any weighted field."""
        if gid >= len(self.indptr) - 1:
            return 0
        return int(self.indptr[gid + 1] - self.indptr[gid])

    def row_tokens(self, f: str, row: int) -> I32:
        ids, offs = self.tokens[f]
        return ids[offs[row] : offs[row + 1]]

    def idf(self, f: str, tid: int) -> float:
        """bm25s' Lucene idf; a token unknown to the base counts as seen once."""
        df_arr = self.df[f]
        n = max(self.n, 1)
        df = float(df_arr[tid]) if tid < len(df_arr) else 0.0
        df = min(max(df, 1.0), n)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))

    def accumulate(self, out: F32, gids: Sequence[tuple[int, float]]) -> None:
        for gid, w in gids:
            if gid >= len(self.indptr) - 1:
                continue
            s, e = int(self.indptr[gid]), int(self.indptr[gid + 1])
            if s < e:
                # One posting per (token, doc), so a plain fancy-index add is exact.
                out[self.indices[s:e]] += np.float32(w) * self.data[s:e]

    def factor(self, key: str, value: str, miss: float) -> F32:
        """1 for the rows meeting the filter, ``miss`` for the others (cached)."""
        f = self.factor_cache.get((key, value, miss))
        if f is None:
            f = np.where(self.mask(key, value), np.float32(1.0), np.float32(miss)).astype(np.float32)
            self.factor_cache[(key, value, miss)] = f
        return f

    def mask(self, key: str, value: str) -> Bools:
        """Rows whose ``key`` list (lines / regions) contains ``value``."""
        m = self.mask_cache.get((key, value))
        if m is None:
            if self.value_rows is None:
                rows: dict[tuple[str, str], list[int]] = {}
                for i, d in enumerate(self.docs):
                    for k in ("lines", "regions"):
                        for v in getattr(d, k):
                            rows.setdefault((k, v), []).append(i)
                self.value_rows = rows
            m = np.zeros(self.n, dtype=bool)
            m[np.asarray(self.value_rows.get((key, value), []), dtype=np.int64)] = True
            self.mask_cache[(key, value)] = m
        return m


@dataclass
class _DeltaDoc:
    doc: ExpertDoc
    tokens: dict[str, I32]
    scores: dict[int, float]  # token id -> weighted BM25 contribution under base statistics


# ---------------------------------------------------------------------------------------------- index


class ExpertIndex:
    """Search index over expert profiles, with incremental updates and persistence.

    Thread-safe: searches and updates take an internal lock."""

    def __init__(
        self,
        params: SearchParams | None = None,
        *,
        analyzer: Analyzer | None = None,
        cache_dir: Path | str | None = None,
    ) -> None:
        self.params = params or SearchParams()
        self.analyzer = analyzer or get_analyzer(cache_dir)
        self._lock = threading.RLock()
        self._vocab: dict[str, int] = {}
        self._words: list[str] = []
        self._memo: dict[str, I32] = {}
        self._value_memo: dict[str, frozenset[str]] = {}
        self._base = self._empty_base()
        self._alive: Bools = np.zeros(0, dtype=bool)
        self._row: dict[str, int] = {}
        self._delta: dict[str, _DeltaDoc] = {}
        self._delta_post: dict[int, tuple[I32, F32]] | None = None
        self._delta_ids: list[str] = []
        self._merge_lock = threading.Lock()  # one merge at a time
        self._merge_thread: threading.Thread | None = None
        # Updates made while a merge builds the new base, replayed onto it afterwards.
        self._oplog: list[tuple[str, str, ExpertDoc | None, dict[str, I32] | None]] | None = None

    def _empty_base(self) -> _Base:
        empty = {f: (np.zeros(0, np.int32), np.zeros(1, np.int64)) for f in FIELDS}
        return _Base([], empty, len(self._vocab), self.params)

    # ------------------------------------------------------------------ tokens

    def _ids(self, text: str, *, memo: bool) -> I32:
        """Token ids of ``text`` (growing the vocabulary); short repeated values are memoised."""
        if memo:
            hit = self._memo.get(text)
            if hit is not None:
                return hit
        out = np.empty(0, np.int32)
        if text:
            ids = []
            for tok in self.analyzer.tokenize(text):
                tid = self._vocab.get(tok)
                if tid is None:
                    tid = self._vocab[tok] = len(self._words)
                    self._words.append(tok)
                ids.append(tid)
            out = np.asarray(ids, dtype=np.int32)
        if memo and len(self._memo) < 500_000:
            self._memo[text] = out
        return out

    def _doc_tokens(self, doc: ExpertDoc) -> dict[str, I32]:
        def join(values: Iterable[str]) -> I32:
            parts = [self._ids(v, memo=True) for v in values]
            return np.concatenate(parts) if parts else np.zeros(0, np.int32)

        sentences = [s for s in _SENTENCE_RE.split(doc.bio) if s.strip()]
        bio_parts = [self._ids(s, memo=False) for s in sentences]
        return {
            "specialties": join(doc.specialties),
            "spec_head": join(doc.head_specialties),
            "lines": join(doc.lines),
            "certificates": join(doc.certificates),
            "title": self._ids(doc.title, memo=True),
            "organisation": self._ids(doc.organisation, memo=True),
            "bio_head": bio_parts[0] if bio_parts else np.zeros(0, np.int32),
            "bio": np.concatenate(bio_parts) if bio_parts else np.zeros(0, np.int32),
        }

    # ------------------------------------------------------------------ building

    @classmethod
    def from_docs(cls, docs: Iterable[ExpertDoc], params: SearchParams | None = None, **kw: Any) -> ExpertIndex:
        idx = cls(params, **kw)
        idx.build(docs)
        return idx

    def build(self, docs: Iterable[ExpertDoc]) -> None:
        """(Re)build the whole index from ``docs``; a later duplicate of an id wins."""
        by_id: dict[str, ExpertDoc] = {}
        for d in docs:
            by_id[d.id] = d
        with self._merge_lock, self._lock:
            self._vocab, self._words, self._memo, self._value_memo = {}, [], {}, {}
            toks = [self._doc_tokens(d) for d in by_id.values()]
            self._install(list(by_id.values()), toks)

    def _install(self, docs: list[ExpertDoc], toks: Sequence[Mapping[str, I32]]) -> None:
        ragged = {f: _ragged([t[f] for t in toks]) for f in FIELDS}
        self._set_base(_Base(docs, ragged, len(self._words), self.params))

    def _set_base(self, base: _Base) -> None:
        self._base = base
        self._alive = np.ones(base.n, dtype=bool)
        self._row = {d.id: i for i, d in enumerate(base.docs)}
        self._delta = {}
        self._delta_post = None
        self._delta_ids = []

    # ------------------------------------------------------------------ incremental updates

    def __len__(self) -> int:
        return len(self._row) + len(self._delta)

    def __contains__(self, expert_id: object) -> bool:
        return expert_id in self._row or expert_id in self._delta

    def get(self, expert_id: str) -> ExpertDoc | None:
        with self._lock:
            if expert_id in self._delta:
                return self._delta[expert_id].doc
            row = self._row.get(expert_id)
            return self._base.docs[row] if row is not None else None

    def docs(self) -> Iterator[ExpertDoc]:
        """Live documents (base rows first, then the delta segment)."""
        with self._lock:
            live = [d for i, d in enumerate(self._base.docs) if self._alive[i]]
            live.extend(dd.doc for dd in self._delta.values())
        return iter(live)

    @property
    def delta_size(self) -> int:
        return len(self._delta)

    def _delta_scores(self, toks: Mapping[str, I32]) -> dict[int, float]:
        """Weighted BM25 contribution of each token of a delta document, with base statistics."""
        p = self.params
        base = self._base
        out: dict[int, float] = {}
        for f in FIELDS:
            w_f = p.field_weights.get(f, 0.0)
            ids = toks[f]
            if w_f <= 0 or len(ids) == 0:
                continue
            uniq, counts = np.unique(ids, return_counts=True)
            norm = p.k1 * (1.0 - p.b + p.b * len(ids) / base.avgdl[f])
            for tid, c in zip(uniq.tolist(), counts.tolist(), strict=True):
                s = w_f * base.idf(f, tid) * c / (c + norm)
                out[tid] = out.get(tid, 0.0) + s
        return out

    def upsert(self, doc: ExpertDoc) -> None:
        """Add or replace one expert without rebuilding the base segment."""
        with self._lock:
            toks = self._doc_tokens(doc)
            self._apply_upsert(doc, toks)
            if self._oplog is not None:
                self._oplog.append(("upsert", doc.id, doc, toks))
            self._maybe_merge()

    def remove(self, expert_id: str) -> bool:
        """Remove one expert; returns whether it was present."""
        with self._lock:
            found = self._apply_remove(expert_id)
            if found and self._oplog is not None:
                self._oplog.append(("remove", expert_id, None, None))
            if found:
                self._maybe_merge()
            return found

    def _apply_upsert(self, doc: ExpertDoc, toks: dict[str, I32]) -> None:
        row = self._row.pop(doc.id, None)
        if row is not None:
            self._alive[row] = False
        self._delta[doc.id] = _DeltaDoc(doc, toks, self._delta_scores(toks))
        self._delta_post = None

    def _apply_remove(self, expert_id: str) -> bool:
        row = self._row.pop(expert_id, None)
        if row is not None:
            self._alive[row] = False
            return True
        if self._delta.pop(expert_id, None) is not None:
            self._delta_post = None
            return True
        return False

    def _maybe_merge(self) -> None:
        if self._oplog is not None:
            return  # a merge is under way
        n = self._base.n
        limit = max(self.params.merge_threshold, int(self.params.merge_fraction * n))
        dead = n - len(self._row)
        # Base statistics only stand in for the delta's while the delta is small next to the base;
        # rebuilding a small base is cheap anyway.
        if len(self._delta) > limit or 8 * len(self._delta) > n or dead > max(limit, n // 4):
            if 0 < self.params.background_merge_min <= n:
                self._oplog = []  # from now on updates are logged for the replay
                self._merge_thread = threading.Thread(target=self.merge, name="expert-index-merge", daemon=True)
                self._merge_thread.start()
            else:
                self.merge()

    def wait_for_merge(self, timeout: float | None = None) -> bool:
        """Wait for a background merge; returns False if one is still running after ``timeout``."""
        t = self._merge_thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    @property
    def merging(self) -> bool:
        t = self._merge_thread
        return t is not None and t.is_alive()

    def merge(self) -> None:
        """Fold the delta segment and the tombstones into a fresh base segment: bm25s rebuild from the
        stored token ids, nothing is re-tokenised. The rebuild runs without holding the index lock;
        updates made meanwhile are replayed onto the new base."""
        with self._merge_lock:
            with self._lock:
                base = self._base
                alive = self._alive.copy()
                delta = list(self._delta.values())
                n_vocab = len(self._words)
                if self._oplog is None:
                    self._oplog = []
            docs: list[ExpertDoc] = []
            toks: list[dict[str, I32]] = []
            for i, d in enumerate(base.docs):
                if alive[i]:
                    docs.append(d)
                    toks.append({f: base.row_tokens(f, i) for f in FIELDS})
            for dd in delta:
                docs.append(dd.doc)
                toks.append(dd.tokens)
            try:
                new = _Base(docs, {f: _ragged([t[f] for t in toks]) for f in FIELDS}, n_vocab, self.params)
            except BaseException:
                with self._lock:
                    self._oplog = None
                raise
            with self._lock:
                ops, self._oplog = self._oplog or [], None
                self._set_base(new)
                for kind, expert_id, doc, doc_toks in ops:
                    if kind == "upsert" and doc is not None and doc_toks is not None:
                        self._apply_upsert(doc, doc_toks)
                    else:
                        self._apply_remove(expert_id)

    def _delta_postings(self) -> dict[int, tuple[I32, F32]]:
        if self._delta_post is None:
            self._delta_ids = list(self._delta)
            acc: dict[int, tuple[list[int], list[float]]] = {}
            for slot, did in enumerate(self._delta_ids):
                for tid, s in self._delta[did].scores.items():
                    rows, vals = acc.setdefault(tid, ([], []))
                    rows.append(slot)
                    vals.append(s)
            self._delta_post = {
                tid: (np.asarray(r, dtype=np.int32), np.asarray(v, dtype=np.float32)) for tid, (r, v) in acc.items()
            }
        return self._delta_post

    # ------------------------------------------------------------------ querying

    def _analyze(self, text: str) -> _Query:
        p = self.params
        literal, concepts = self.analyzer.analyze(text)
        units: list[_Unit] = []
        if literal and p.query_weight > 0:
            units.append(_Unit("query", p.query_weight, dict.fromkeys(literal, 1.0)))
        expansions: list[Expansion] = []
        for m in concepts:
            tw: dict[str, float] = {}
            for e in m.expansions:
                for t in e.tokens:
                    tw[t] = max(tw.get(t, 0.0), e.weight)
            if tw:
                w = p.concept_weight * m.weight * len(m.triggers) ** p.trigger_power
                units.append(_Unit(m.name, w, tw))
                expansions.extend(m.expansions)
        tokens = {t for u in units for t in u.tokens}
        return _Query(units=units, tokens=tokens, expansions=expansions, literal=set(literal))

    def search(
        self,
        text: str,
        *,
        line: str | None = None,
        region: str | None = None,
        top: int = 10,
        allowed_ids: set[str] | None = None,
        hard_filters: bool = False,
    ) -> list[Hit]:
        """Rank experts for a loss notice, best first.

        Filters are soft unless ``hard_filters`` (or ``params.miss_factor == 0``): see the module doc.
        ``allowed_ids`` restricts the candidates (e.g. to the pools the caller may see)."""
        if top <= 0:
            return []
        q = self._analyze(text)
        filters = [(k, v) for k, v in (("lines", line), ("regions", region)) if v]
        miss_factor = 0.0 if hard_filters else self.params.miss_factor
        with self._lock:
            return self._search(q, filters, top, allowed_ids, miss_factor)

    def _valid_rows(self, allowed_ids: set[str] | None, n: int) -> Bools | None:
        """The base rows that may be found; None while every base row is a live candidate (saves the
        masking passes)."""
        if allowed_ids is not None:
            valid = np.zeros(n, dtype=bool)
            rows = [r for i in allowed_ids if (r := self._row.get(i)) is not None]
            valid[np.asarray(rows, dtype=np.int64)] = True
            return valid
        if len(self._row) < n:
            return self._alive
        return None

    def _candidates(
        self,
        total: F32,
        d_total: F32,
        d_ids: Sequence[str],
        d_misses: npt.NDArray[np.int8],
        filters: list[tuple[str, str]],
        top: int,
    ) -> list[tuple[float, str, ExpertDoc, int, int]]:
        """The best ``top`` of base and delta rows with a positive score: (score, id, doc, filter misses,
        base row or -1-slot of the delta), best first."""
        base, n = self._base, self._base.n
        cands: list[tuple[float, str, ExpertDoc, int, int]] = []
        k = min(top, n)
        if k:
            part = np.argpartition(-total, k - 1)[:k] if k < n else np.arange(n)
            for r in part.tolist():
                if total[r] > 0:
                    doc = base.docs[r]
                    m = sum(1 for key, value in filters if value not in getattr(doc, key))
                    cands.append((float(total[r]), doc.id, doc, m, int(r)))
        for i in np.flatnonzero(d_total > 0).tolist():
            did = d_ids[i]
            cands.append((float(d_total[i]), did, self._delta[did].doc, int(d_misses[i]), -1 - i))
        cands.sort(key=lambda c: (-c[0], c[1]))
        return cands

    def _search(
        self,
        q: _Query,
        filters: list[tuple[str, str]],
        top: int,
        allowed_ids: set[str] | None,
        miss_factor: float,
    ) -> list[Hit]:
        p = self.params
        base = self._base
        n = base.n
        valid = self._valid_rows(allowed_ids, n)
        any_valid = n > 0 and (valid is None or bool(valid.any()))
        post = self._delta_postings() if self._delta else {}
        d_ids = self._delta_ids if self._delta else []
        d_ok = np.asarray([allowed_ids is None or i in allowed_ids for i in d_ids], dtype=bool)

        total = np.zeros(n, dtype=np.float32)
        d_total = np.zeros(len(d_ids), dtype=np.float32)
        raw = np.empty(n, dtype=np.float32)
        for u in q.units:
            gids = [(g, w) for t, w in u.tokens.items() if (g := self._vocab.get(t)) is not None]
            if not gids:
                continue
            raw.fill(0.0)
            base.accumulate(raw, gids)
            d_raw = np.zeros(len(d_ids), dtype=np.float32)
            for g, w in gids:
                hit = post.get(g)
                if hit is not None:
                    d_raw[hit[0]] += np.float32(w) * hit[1]
            best = 0.0
            if any_valid:
                best = float(raw.max() if valid is None else np.max(raw, where=valid, initial=0.0))
            if len(d_ids):
                best = max(best, float(np.max(d_raw, where=d_ok, initial=0.0)))
            if best <= 0:
                continue
            scale = np.float32(u.weight / best if p.normalize_units else u.weight)
            raw *= scale
            total += raw
            d_total += scale * d_raw

        # Scores are ≥ 0; a negative score marks a row that is not a candidate (hard filter miss).
        factor = miss_factor if miss_factor > 0 else -1.0
        d_misses = np.zeros(len(d_ids), dtype=np.int8)
        for key, value in filters:
            if n:
                total *= base.factor(key, value, factor)
            for i, did in enumerate(d_ids):
                if value not in getattr(self._delta[did].doc, key):
                    d_misses[i] += 1
                    d_total[i] *= factor
        if valid is not None:
            total[~valid] = -1.0
        d_total[~d_ok] = -1.0

        cands = self._candidates(total, d_total, d_ids, d_misses, filters, top)
        hits: list[Hit] = []
        for s, did, doc, m, r in cands[:top]:
            bio_ids = base.row_tokens("bio", r) if r >= 0 else self._delta[did].tokens["bio"]
            hits.append(
                Hit(
                    id=did,
                    name=doc.name,
                    score=round(s, 6),
                    matched=self._explain(doc, bio_ids, q, filters),
                    meets_filters=m == 0,
                )
            )
        return hits

    # ------------------------------------------------------------------ explanations

    def _value_tokens(self, value: str) -> frozenset[str]:
        toks = self._value_memo.get(value)
        if toks is None:
            toks = frozenset(self._words[i] for i in self._ids(value, memo=True).tolist())
            if len(self._value_memo) < 200_000:
                self._value_memo[value] = toks
        return toks

    def _explain(self, doc: ExpertDoc, bio_ids: I32, q: _Query, filters: Sequence[tuple[str, str]]) -> list[str]:
        out: list[str] = []
        matched: set[str] = set()
        for f in _LIST_FIELDS:
            for value in getattr(doc, f):
                hit = self._value_tokens(value) & q.tokens
                if hit:
                    out.append(f"{f}:{value}")
                    matched |= hit
        for f in ("title", "organisation"):
            value = getattr(doc, f)
            hit = self._value_tokens(value) & q.tokens if value else frozenset()
            if hit:
                out.append(f"{f}:{value}")
                matched |= hit
        if q.gids is None:
            q.gids = {g for t in q.tokens if (g := self._vocab.get(t)) is not None and len(t) > 1}
        bio_hits: list[str] = []
        for tid in dict.fromkeys(bio_ids.tolist()):
            if tid in q.gids:
                bio_hits.append(self._words[tid])
        if bio_hits:
            out.append("bio:" + "、".join(bio_hits[:8]))
            matched.update(bio_hits)
        for key, value in filters:
            name = "line" if key == "lines" else "region"
            met = value in getattr(doc, key)
            out.append(f"{'filter' if met else 'filter-miss'}:{name}={value}")
        seen: set[tuple[str, str]] = set()
        for e in q.expansions:
            if (e.trigger, e.term) in seen or not matched.intersection(e.tokens):
                continue
            if set(e.tokens) <= q.literal:
                continue  # the notice says it itself; no synonym needed
            seen.add((e.trigger, e.term))
            out.append(f"synonym:{e.trigger}→{e.term}")
        return out

    # ------------------------------------------------------------------ persistence

    def save(self, path: Path | str) -> None:
        """Write the index to directory ``path``: ``bm25/<field>/`` (bm25s), ``tokens.npz`` and
        ``sidecar.json``. The directory is replaced as a whole."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
            try:
                self._write(tmp)
                old = target.with_name(f".{target.name}.old")
                if old.exists():
                    shutil.rmtree(old)
                if target.exists():
                    target.rename(old)
                tmp.rename(target)
                if old.exists():
                    shutil.rmtree(old)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise

    def _write(self, root: Path) -> None:
        base = self._base
        arrays: dict[str, npt.NDArray[Any]] = {"alive": self._alive}
        for f in FIELDS:
            ids, offs = base.tokens[f]
            arrays[f"base.{f}.ids"] = ids
            arrays[f"base.{f}.offsets"] = offs
            bm = base.bm25[f]
            if bm is not None:
                bm.save(root / "bm25" / f, show_progress=False)
            d_ids, d_offs = _ragged([dd.tokens[f] for dd in self._delta.values()])
            arrays[f"delta.{f}.ids"] = d_ids
            arrays[f"delta.{f}.offsets"] = d_offs
        np.savez(root / "tokens.npz", **arrays)  # type: ignore[arg-type]
        sidecar = {
            "format": FORMAT_VERSION,
            "fields": list(FIELDS),
            "params": self.params.to_dict(),
            "n_vocab_base": base.n_vocab,
            "vocab": self._words,
            "docs": [d.to_dict() for d in base.docs],
            "delta": [dd.doc.to_dict() for dd in self._delta.values()],
        }
        (root / "sidecar.json").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(
        cls, path: Path | str, *, analyzer: Analyzer | None = None, cache_dir: Path | str | None = None
    ) -> ExpertIndex:
        """Load an index written by :meth:`save`."""
        root = Path(path)
        sidecar = json.loads((root / "sidecar.json").read_text(encoding="utf-8"))
        if sidecar.get("format") != FORMAT_VERSION or tuple(sidecar.get("fields", ())) != FIELDS:
            raise ValueError(f"{root}: unsupported expert index format")
        idx = cls(SearchParams.from_dict(sidecar["params"]), analyzer=analyzer, cache_dir=cache_dir)
        idx._words = [str(w) for w in sidecar["vocab"]]
        idx._vocab = {w: i for i, w in enumerate(idx._words)}
        docs = [ExpertDoc.from_dict(d) for d in sidecar["docs"]]
        with np.load(root / "tokens.npz") as npz:
            alive = np.asarray(npz["alive"], dtype=bool)
            tokens = {
                f: (npz[f"base.{f}.ids"].astype(np.int32), npz[f"base.{f}.offsets"].astype(np.int64)) for f in FIELDS
            }
            delta_toks = {f: (npz[f"delta.{f}.ids"], npz[f"delta.{f}.offsets"]) for f in FIELDS}
        bm = {
            f: bm25s.BM25.load(root / "bm25" / f, show_progress=False) for f in FIELDS if (root / "bm25" / f).is_dir()
        }
        idx._base = _Base(docs, tokens, int(sidecar["n_vocab_base"]), idx.params, bm25=bm)
        idx._alive = alive
        idx._row = {d.id: i for i, d in enumerate(docs) if alive[i]}
        for j, d in enumerate(sidecar["delta"]):
            doc = ExpertDoc.from_dict(d)
            toks = {
                f: np.asarray(delta_toks[f][0][delta_toks[f][1][j] : delta_toks[f][1][j + 1]], dtype=np.int32)
                for f in FIELDS
            }
            idx._delta[doc.id] = _DeltaDoc(doc, toks, idx._delta_scores(toks))
        return idx
