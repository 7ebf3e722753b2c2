"""Bare baseline for expert screening: jieba (default dictionary) + bm25s over all profile fields
concatenated, with the line / region filters applied as hard filters.

This is the reference system of ``data/experts/README.md`` (nDCG@10 ≈ 0.61 on the dev queries);
it exists only for comparison in tests and benchmarks.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import bm25s
import jieba
import numpy as np

from tandem.expert.search import ExpertDoc
from tandem.expert.textproc import default_cache_dir

__all__ = ["BaselineIndex"]

_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)
_TOKENIZERS: dict[str, jieba.Tokenizer] = {}
_LOCK = threading.Lock()


def _plain_jieba(cache_dir: Path | str | None) -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = str(cache.resolve())
    with _LOCK:
        tk = _TOKENIZERS.get(key)
        if tk is None:
            cache.mkdir(parents=True, exist_ok=True)
            tk = jieba.Tokenizer()
            tk.tmp_dir = str(cache)
            tk.cache_file = "jieba.cache"
            tk.initialize()
            _TOKENIZERS[key] = tk
        return tk


def _doc_text(d: ExpertDoc) -> str:
    return " ".join(
        [
            d.name,
            d.title,
            d.organisation,
            " ".join(d.specialties),
            " ".join(d.lines),
            " ".join(d.regions),
            " ".join(d.certificates),
            d.bio,
        ]
    )


class BaselineIndex:
    def __init__(self, docs: Iterable[ExpertDoc], *, cache_dir: Path | str | None = None) -> None:
        self._jieba = _plain_jieba(cache_dir)
        self.docs = list(docs)
        self.bm25 = bm25s.BM25()
        self.bm25.index([self.tokenize(_doc_text(d)) for d in self.docs], show_progress=False)
        self._masks: dict[tuple[str, str], np.ndarray] = {}

    def tokenize(self, text: str) -> list[str]:
        return [t for t in self._jieba.lcut(text) if t.strip() and not _PUNCT_RE.match(t)]

    def _mask(self, key: str, value: str) -> np.ndarray:
        m = self._masks.get((key, value))
        if m is None:
            m = np.fromiter((value in getattr(d, key) for d in self.docs), dtype=bool, count=len(self.docs))
            self._masks[(key, value)] = m
        return m

    def search(self, text: str, *, line: str | None = None, region: str | None = None, top: int = 10) -> list[str]:
        """Ids of the ``top`` best experts meeting every filter, best first."""
        toks = self.tokenize(text)
        if not toks or not self.docs:
            return []
        scores = self.bm25.get_scores(toks).astype(np.float64)
        valid = np.ones(len(self.docs), dtype=bool)
        if line:
            valid &= self._mask("lines", line)
        if region:
            valid &= self._mask("regions", region)
        scores[~valid] = -np.inf
        k = min(top, int(valid.sum()))
        if k <= 0:
            return []
        part = np.argpartition(-scores, k - 1)[:k]
        order = sorted(part.tolist(), key=lambda i: (-scores[i], i))
        return [self.docs[i].id for i in order]
