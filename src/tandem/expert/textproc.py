"""Text processing for expert screening: jieba tokenisation, domain dictionary, synonym/concept map.

* A private :class:`jieba.Tokenizer` (not the global ``jieba.dt``) loaded with the insurance/engineering
  user dictionary shipped in ``data/userdict.txt``; its prefix-dict cache goes to an explicit directory
  (default ``<repo>/var/cache/jieba``) instead of the system temp dir, and jieba's logger is set to WARNING.
* ``data/synonyms.txt`` holds aliases (abbreviations expanded on both the profile and the query side:
  火调 → 火灾 调查, BI → 营业中断 …) and concepts (colloquial triggers found in a loss notice → profile
  vocabulary: 厂房着火 → 火灾 …), see the header of that file for the format.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import jieba

from tandem.config import get_settings

__all__ = [
    "Analyzer",
    "Concept",
    "ConceptMatch",
    "Expansion",
    "default_cache_dir",
    "get_analyzer",
    "normalize",
]

_DATA = "tandem.expert.data"

# Function words and filler of colloquial loss notices; they carry no matching signal.
STOPWORDS: frozenset[str] = frozenset(
    """
    的 了 着 过 是 在 和 与 及 或 也 都 就 还 又 再 才 把 被 让 给 向 从 到 对 跟 将 于 以 而 但 并 且 等
    吗 呢 吧 啊 呀 哦 嘛 么 之 其 这 那 哪 此 个 一 些 里 上 下 中 内 外 前 后 时 后来 然后 以后 之后
    我 我们 你 你们 他 他们 她 它 它们 咱们 人家 自己 大家 有 没 没有 不 不是 要 想 能 会 可以 可能 需要
    得 地 说 看 看到 发现 觉得 知道 现在 今天 昨天 前天 最近 刚 刚刚 刚才 已经 一直 突然 结果 因为 所以
    如果 这个 那个 这些 那些 一个 一批 一台 一家 一条 一辆 一场 一次 一下 几 多 很 太 非常 比较 大概 左右
    差不多 基本 全 全部 好多 好几 所有 什么 怎么 怎么办 为什么 多少 谁 公司 我司 客户 老板 帮忙 麻烦 请 找
    专家 想请 请问 能否 是否 情况 问题 事情 这次 当时 目前 还是 或者 以及 及其 等等 万 千 百 元 块
    """.split()
)

_PUNCT_RE = re.compile(r"^[\W_]+$", re.UNICODE)
_SPACE_RE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width → half-width), lower-case Latin, collapse whitespace."""
    return _SPACE_RE.sub(" ", unicodedata.normalize("NFKC", text)).strip().lower()


# What did *not* happen: "无人员伤亡", "未造成人员伤亡", "没有人员受伤" are in most loss notices and must not
# bring in the injury and medical experts. Only a negation right before a harm word is dropped, so that
# 无锡, 无人机 or 未来 are left alone.
_NEGATED_RE = re.compile(r"(?:无|未造成|未发生|未有|未见|没有|并无|暂无|均无)(?:人员|人)?(?:伤亡|受伤|伤者|死亡|身亡)")


def drop_negated(text: str) -> str:
    """The query without the harm it says did not occur (a comma keeps the clauses apart)."""
    return _NEGATED_RE.sub("，", text)


def default_cache_dir() -> Path:
    """``<var_dir>/cache/jieba``: the settings' ``var_dir`` (``TANDEM_VAR_DIR``, default ``<repo>/var``)."""
    return Path(get_settings().var_dir) / "cache" / "jieba"


@dataclass(frozen=True)
class Expansion:
    """One expansion term brought into the query by a concept trigger."""

    concept: str
    trigger: str
    term: str
    tokens: tuple[str, ...]
    weight: float


@dataclass(frozen=True)
class ConceptMatch:
    """A concept found in a query: the triggers seen and the terms it brings in."""

    name: str
    triggers: tuple[str, ...]
    expansions: tuple[Expansion, ...]
    weight: float = 1.0


@dataclass
class Concept:
    """One line of the ``[concept]`` section; several lines may share a name."""

    name: str
    triggers: list[str] = field(default_factory=list)
    terms: list[tuple[str, float]] = field(default_factory=list)
    requires: tuple[str, ...] = ()
    weight: float = 1.0


def _read_data(name: str) -> str:
    return resources.files(_DATA).joinpath(name).read_text(encoding="utf-8")


def _parse_userdict(text: str) -> list[tuple[str, int | None]]:
    words: list[tuple[str, int | None]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        words.append((normalize(parts[0]), freq))
    return words


_CONCEPT_HEAD = re.compile(
    r"^(?P<name>[^:：(（^]+?)\s*(?:\^(?P<w>[0-9.]+))?\s*(?:[(（](?P<req>[^)）]*)[)）])?\s*[:：]\s*(?P<body>.*)$"
)


def _parse_synonyms(text: str) -> tuple[dict[str, list[str]], list[Concept]]:
    aliases: dict[str, list[str]] = {}
    rules: list[Concept] = []
    names: set[str] = set()
    section = ""
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1].strip()
            continue
        if section == "alias":
            key, _, value = line.partition("=")
            if not value.strip():
                raise ValueError(f"synonyms.txt:{lineno}: alias needs '='")
            aliases.setdefault(normalize(key), []).extend(normalize(value).split())
        elif section == "concept":
            m = _CONCEPT_HEAD.match(line)
            if m is None or "=>" not in m.group("body"):
                raise ValueError(f"synonyms.txt:{lineno}: expected 'name: triggers => terms'")
            name = m.group("name").strip()
            req = tuple(r.strip() for r in re.split(r"[,，]", m.group("req") or "") if r.strip())
            trig_s, _, terms_s = m.group("body").partition("=>")
            concept = Concept(name=name, requires=req, weight=float(m.group("w") or 1.0))
            concept.triggers = list(dict.fromkeys(normalize(trig_s).split()))
            for item in normalize(terms_s).split():
                term, _, w = item.partition("^")
                concept.terms.append((term, float(w) if w else 1.0))
            if not concept.triggers or not concept.terms:
                raise ValueError(f"synonyms.txt:{lineno}: concept needs triggers and terms")
            rules.append(concept)
            names.add(name)
        else:
            raise ValueError(f"synonyms.txt:{lineno}: entry outside [alias]/[concept]")
    for c in rules:
        missing = [r for r in c.requires if r not in names]
        if missing:
            raise ValueError(f"concept {c.name!r} requires unknown concept(s) {missing}")
    return aliases, rules


class Analyzer:
    """Tokeniser + alias normalisation + concept expansion; one instance per process is enough."""

    def __init__(
        self,
        cache_dir: Path | str | None = None,
        *,
        userdict_text: str | None = None,
        synonyms_text: str | None = None,
    ) -> None:
        jieba.setLogLevel(logging.WARNING)
        cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
        cache.mkdir(parents=True, exist_ok=True)
        self._jieba = jieba.Tokenizer()
        self._jieba.tmp_dir = str(cache)
        self._jieba.cache_file = "jieba.cache"
        self._lock = threading.Lock()
        self.aliases, self.concepts = _parse_synonyms(
            synonyms_text if synonyms_text is not None else _read_data("synonyms.txt")
        )
        words = _parse_userdict(userdict_text if userdict_text is not None else _read_data("userdict.txt"))
        # Aliases and triggers are domain words too: keep them whole when cutting.
        extra = {w for w in self.aliases if len(w) > 1}
        for c in self.concepts:
            extra.update(t for t in c.triggers if 1 < len(t) <= 6)
        self._words = words + [(w, None) for w in sorted(extra)]
        self._ready = False
        # trigger -> indexes of the rules it belongs to; lengths to probe while scanning a notice
        self._triggers: dict[str, list[int]] = {}
        for i, c in enumerate(self.concepts):
            for t in c.triggers:
                self._triggers.setdefault(t, []).append(i)
        self._trigger_lens = sorted({len(t) for t in self._triggers})
        self._term_tokens: dict[str, tuple[str, ...]] = {}

    def _init(self) -> None:
        with self._lock:
            if self._ready:
                return
            self._jieba.initialize()
            for word, freq in self._words:
                self._jieba.add_word(word, freq if freq is not None else 20000)
            self._ready = True

    def _segment(self, norm: str) -> list[str]:
        """jieba's accurate-mode words of already normalised text (no HMM: deterministic)."""
        if not self._ready:
            self._init()
        return list(self._jieba.cut(norm, HMM=False))

    def _search_mode(self, words: list[str]) -> list[str]:
        """jieba's search mode (``cut_for_search``) from accurate-mode words: the known 2- and 3-gram
        fragments of a long word, then the word; stopwords and punctuation removed."""
        freq = self._jieba.FREQ
        out: list[str] = []
        for w in words:
            n = len(w)
            if n > 2:
                out.extend(g for i in range(n - 1) if freq.get(g := w[i : i + 2]))
            if n > 3:
                out.extend(g for i in range(n - 2) if freq.get(g := w[i : i + 3]))
            out.append(w)
        return [t for tok in out if (t := tok.strip()) and t not in STOPWORDS and not _PUNCT_RE.match(t)]

    def _with_aliases(self, toks: list[str]) -> list[str]:
        extra: list[str] = []
        for t in toks:
            canon = self.aliases.get(t)
            if canon:
                extra.extend(canon)
        return toks + extra

    def cut(self, text: str) -> list[str]:
        """jieba search-mode cut of normalised text, stopwords and punctuation removed."""
        return self._search_mode(self._segment(normalize(text)))

    def tokenize(self, text: str) -> list[str]:
        """Index/query tokens: :meth:`cut` plus the canonical tokens of any alias found."""
        return self._with_aliases(self.cut(text))

    def analyze(self, text: str) -> tuple[list[str], list[ConceptMatch]]:
        """:meth:`tokenize` and :meth:`match_concepts` of a query with a single jieba pass; harm the query
        says did not occur is left out (:func:`drop_negated`)."""
        norm = normalize(drop_negated(text))
        words = self._segment(norm)
        return self._with_aliases(self._search_mode(words)), self._match(norm, words)

    @staticmethod
    def _boundaries(words: list[str]) -> tuple[set[int], set[int]]:
        starts: set[int] = set()
        ends: set[int] = set()
        pos = 0
        for tok in words:
            starts.add(pos)
            pos += len(tok)
            ends.add(pos)
        return starts, ends

    @staticmethod
    def _aligned(i: int, n: int, starts: set[int], ends: set[int]) -> bool:
        """Triggers of three or more characters match as substrings; a one-character trigger must be
        a whole jieba word; a two-character one must start at a word boundary or end one word
        (露天煤矿 ⊃ 煤矿), so that 化了 does not fire inside 老化了."""
        if n >= 3:
            return True
        if n == 1:
            return i in starts and i + 1 in ends
        return i in starts or (i + 2 in ends and (i + 1) not in starts)

    def _term(self, term: str) -> tuple[str, ...]:
        toks = self._term_tokens.get(term)
        if toks is None:
            toks = self._term_tokens[term] = tuple(self.tokenize(term))
        return toks

    def match_concepts(self, text: str) -> list[ConceptMatch]:
        """Concepts triggered by ``text``, each with its distinct triggers and expansion terms.

        A rule that requires other concepts contributes its terms to the first required concept that
        fired (so 仓库 + 着火 strengthens the fire concept rather than forming a separate one)."""
        norm = normalize(text)
        return self._match(norm, self._segment(norm))

    def _occurrences(
        self, norm: str, words: list[str]
    ) -> tuple[dict[int, dict[str, list[tuple[int, int]]]], set[tuple[int, int]]]:
        """Where each rule's triggers occur on word boundaries: rule -> trigger -> spans, and all spans."""
        starts, ends = self._boundaries(words)
        occ: dict[int, dict[str, list[tuple[int, int]]]] = {}  # rule -> trigger -> spans
        all_spans: set[tuple[int, int]] = set()
        for i in range(len(norm)):
            for n in self._trigger_lens:
                t = norm[i : i + n]
                if len(t) < n:
                    break
                rule_ids = self._triggers.get(t)
                if rule_ids is None or not self._aligned(i, n, starts, ends):
                    continue
                all_spans.add((i, i + n))
                for r in rule_ids:
                    occ.setdefault(r, {}).setdefault(t, []).append((i, i + n))
        return occ, all_spans

    def _match(self, norm: str, words: list[str]) -> list[ConceptMatch]:
        occ, all_spans = self._occurrences(norm, words)
        matches = [(self.concepts[r], occ[r]) for r in sorted(occ)]

        def covered(span: tuple[int, int]) -> bool:
            # Inside a longer trigger of any concept (油罐 inside 油罐车): the longer reading wins.
            a, b = span
            return any(x <= a and b <= y and (y - x) > (b - a) for x, y in all_spans)

        fired: dict[str, list[tuple[Concept, list[str]]]] = {}
        for c, spans in matches:
            kept = [t for t, sp in spans.items() if not all(covered(x) for x in sp)]
            if kept:
                fired.setdefault(c.name, []).append((c, kept))
        units, unit_weight = self._units(fired)
        out: list[ConceptMatch] = []
        for name, (trigs, exps) in units.items():
            if not trigs:
                continue
            distinct = tuple(trigs)
            out.append(ConceptMatch(name=name, triggers=distinct, expansions=tuple(exps), weight=unit_weight[name]))
        return out

    def _units(
        self, fired: dict[str, list[tuple[Concept, list[str]]]]
    ) -> tuple[dict[str, tuple[list[str], list[Expansion]]], dict[str, float]]:
        """The fired rules grouped by the concept they count for: its triggers, expansions and weight."""
        standalone = {name for name, rules in fired.items() if any(not c.requires for c, _ in rules)}
        units: dict[str, tuple[list[str], list[Expansion]]] = {}
        unit_weight: dict[str, float] = {}
        consumed: dict[str, str] = {}  # trigger -> concept that read it as a detail
        for name, rules in fired.items():
            for c, found in rules:
                owner = name
                if c.requires:
                    owner = next((r for r in c.requires if r in standalone), "")
                    if not owner:
                        continue
                    # A word read as a detail of another concept (仓库 of a fire) no longer
                    # counts as evidence for a concept of its own.
                    if owner != name:
                        for t in found:
                            consumed.setdefault(t, owner)
                trig_list, exps = units.setdefault(owner, ([], []))
                if not c.requires:
                    trig_list.extend(t for t in found if t not in trig_list)
                    unit_weight[owner] = max(unit_weight.get(owner, 0.0), c.weight)
                for term, w in c.terms:
                    exps.append(Expansion(owner, found[0], term, self._term(term), w))
        for name, (trigs, _) in units.items():
            trigs[:] = [t for t in trigs if consumed.get(t, name) == name]
        return units, unit_weight

    def expand(self, text: str) -> list[Expansion]:
        """Flat list of the expansion terms of :meth:`match_concepts`."""
        return [e for m in self.match_concepts(text) for e in m.expansions]

    def concept_names(self, text: str) -> list[str]:
        """Names of the concepts :meth:`match_concepts` finds in ``text``."""
        return sorted(m.name for m in self.match_concepts(text))


_ANALYZERS: dict[str, Analyzer] = {}
_ANALYZERS_LOCK = threading.Lock()


def get_analyzer(cache_dir: Path | str | None = None) -> Analyzer:
    """Process-wide shared :class:`Analyzer` per cache directory (jieba's dictionary load is ~1 s)."""
    key = str(Path(cache_dir).resolve()) if cache_dir is not None else ""
    with _ANALYZERS_LOCK:
        an = _ANALYZERS.get(key)
        if an is None:
            an = _ANALYZERS[key] = Analyzer(cache_dir)
        return an
