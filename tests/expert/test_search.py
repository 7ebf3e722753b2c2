"""Expert screening search core: tokeniser, concept map, filters, explanations, incremental updates,
persistence and the metrics."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from bench.metrics import evaluate, ndcg_at_k, precision_at_k, recall_at_k

from tandem.expert.search import ExpertDoc, ExpertIndex, Hit, SearchParams, load_experts
from tandem.expert.textproc import Analyzer, normalize

DATA = Path(__file__).resolve().parents[1] / "data" / "experts"
PREFIXES = (
    "specialties:",
    "lines:",
    "certificates:",
    "title:",
    "organisation:",
    "bio:",
    "filter:",
    "filter-miss:",
    "synonym:",
)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jieba-cache")


@pytest.fixture(scope="module")
def analyzer(cache_dir: Path) -> Analyzer:
    return Analyzer(cache_dir)


@pytest.fixture(scope="module")
def docs() -> list[ExpertDoc]:
    return load_experts(DATA / "experts.jsonl")


@pytest.fixture(scope="module")
def index(docs: list[ExpertDoc], analyzer: Analyzer) -> ExpertIndex:
    return ExpertIndex.from_docs(docs, analyzer=analyzer)


def small(docs: list[ExpertDoc], n: int = 600) -> list[ExpertDoc]:
    return docs[:n]


# ------------------------------------------------------------------------------- tokeniser, synonyms


def test_tokenizer_keeps_domain_words_and_drops_fillers(analyzer: Analyzer) -> None:
    toks = analyzer.tokenize("我们的机损定损找谁？")
    assert "机损" in toks and "定损" in toks
    assert "我们" not in toks and "的" not in toks and "？" not in toks
    assert {"火灾", "原因", "调查"} <= set(analyzer.tokenize("火灾原因调查"))


def test_aliases_expand_on_both_sides(analyzer: Analyzer) -> None:
    assert {"火灾", "调查"} <= set(analyzer.tokenize("火调"))
    assert "营业中断" in analyzer.tokenize("BI损失核算")
    assert "共同海损" in analyzer.tokenize("GA理算")
    assert "集装箱" in analyzer.tokenize("货柜")
    assert normalize("ＢＩ　损失") == "bi 损失"


def test_jieba_cache_goes_to_the_given_directory(analyzer: Analyzer, cache_dir: Path) -> None:
    analyzer.tokenize("预热")
    assert (cache_dir / "jieba.cache").is_file()


def test_concepts_map_colloquial_words_to_profile_terms(analyzer: Analyzer) -> None:
    found = {m.name: m for m in analyzer.match_concepts("我们厂房着火了，仓库也烧了")}
    assert "火灾" in found
    terms = {e.term for e in found["火灾"].expansions}
    assert {"火灾", "火调"} <= terms
    assert {"仓储", "物流"} <= terms  # the warehouse detail joins the fire concept …
    assert "仓储" not in found  # … instead of standing as a concept of its own
    cold = {m.name for m in analyzer.match_concepts("冷库的冻肉化了")}
    assert "冷链" in cold


def test_short_triggers_respect_word_boundaries(analyzer: Analyzer) -> None:
    assert "冷链" not in analyzer.concept_names("线路老化了")  # 化了 inside 老化了
    assert "化工" not in analyzer.concept_names("油罐车翻了")  # 油罐 inside the longer 油罐车
    assert "国内货运" in analyzer.concept_names("油罐车翻了")


def test_more_trigger_words_mean_more_weight(analyzer: Analyzer) -> None:
    (one,) = [m for m in analyzer.match_concepts("冒烟了") if m.name == "火灾"]
    (many,) = [m for m in analyzer.match_concepts("着火冒烟，全烧光了") if m.name == "火灾"]
    assert len(many.triggers) > len(one.triggers)


def test_harm_that_did_not_happen_brings_no_experts(analyzer: Analyzer) -> None:
    fire = analyzer.analyze("厂房起火，烧毁注塑机")
    for text in (
        "厂房起火，无人员伤亡，烧毁注塑机",
        "厂房起火，未造成人员伤亡，烧毁注塑机",
        "厂房起火，没有人受伤，烧毁注塑机",
    ):
        toks, concepts = analyzer.analyze(text)
        assert set(toks) == set(fire[0]) and [c.name for c in concepts] == [c.name for c in fire[1]], text
    hurt = analyzer.analyze("厂房起火，两名工人受伤")
    assert "人伤" in {c.name for c in hurt[1]}
    assert "无锡" in analyzer.analyze("无锡市厂房起火")[0]  # a place, not a negation


def test_bad_synonym_lines_are_rejected(cache_dir: Path) -> None:
    with pytest.raises(ValueError, match="triggers => terms"):
        Analyzer(cache_dir, synonyms_text="[concept]\n火灾 着火 火灾\n")
    with pytest.raises(ValueError, match="unknown concept"):
        Analyzer(cache_dir, synonyms_text="[concept]\n子(没有): 甲 => 乙\n")
    with pytest.raises(ValueError, match="outside"):
        Analyzer(cache_dir, synonyms_text="火调 = 火灾\n")


# ------------------------------------------------------------------------------- search, explanations


def _specialties(index: ExpertIndex, hit: Hit) -> tuple[str, ...]:
    doc = index.get(hit.id)
    assert doc is not None
    return doc.specialties


def test_colloquial_fire_notice_finds_fire_investigators(index: ExpertIndex) -> None:
    hits = index.search("厂房半夜着火，整条生产线都烧没了", top=10)
    assert len(hits) == 10
    for h in hits[:5]:
        assert any("火" in s for s in _specialties(index, h)), h
    assert any(m.startswith("synonym:") and m.endswith("→火灾") for m in hits[0].matched)
    assert all(isinstance(h.score, float) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_explanations_name_fields_values_filters_and_synonyms(index: ExpertIndex) -> None:
    hits = index.search("冷库的制冷机坏了，几百吨冻肉全化了", region="辽宁", top=10)
    assert hits
    for h in hits:
        doc = index.get(h.id)
        assert doc is not None
        assert h.matched and all(m.startswith(PREFIXES) for m in h.matched), h.matched
        for m in h.matched:
            if m.startswith("specialties:"):
                assert m.removeprefix("specialties:") in doc.specialties
            if m.startswith("lines:"):
                assert m.removeprefix("lines:") in doc.lines
        assert ("filter:region=辽宁" in h.matched) == ("辽宁" in doc.regions) == h.meets_filters
        assert ("filter-miss:region=辽宁" in h.matched) == (not h.meets_filters)
    top = hits[0]
    assert any(m.startswith("specialties:") and "冷" in m for m in top.matched)
    assert any(m.startswith("synonym:") for m in top.matched)


def test_region_filter_is_soft(index: ExpertIndex, docs: list[ExpertDoc]) -> None:
    text = "货轮在长江口跟散货船撞了，船壳破了个大口子"
    hits = index.search(text, region="西藏", top=10)
    assert hits and not all(h.meets_filters for h in hits)  # few experts cover 西藏: near misses fill up
    # Experts meeting the filter come first as long as they match at all.
    first_miss = next(i for i, h in enumerate(hits) if not h.meets_filters)
    assert all(h.meets_filters for h in hits[:first_miss])
    hard_hits = index.search(text, region="西藏", top=10, hard_filters=True)
    assert all(h.meets_filters for h in hard_hits)
    # Same order among the experts meeting the filter; soft filtering only appends the near misses.
    assert [h.id for h in hits[:first_miss]] == [h.id for h in hard_hits[:first_miss]]


def test_line_filter(index: ExpertIndex) -> None:
    hits = index.search("货轮的主机坏了，在海上漂了两天", line="船舶保险", top=10)
    assert hits[0].meets_filters
    assert "filter:line=船舶保险" in hits[0].matched
    doc = index.get(hits[0].id)
    assert doc is not None and "船舶保险" in doc.lines


def test_allowed_ids_restricts_candidates(index: ExpertIndex, docs: list[ExpertDoc]) -> None:
    allowed = {d.id for d in docs[:300]}
    hits = index.search("仓库着火", allowed_ids=allowed, top=20)
    assert hits and {h.id for h in hits} <= allowed
    assert index.search("仓库着火", allowed_ids=set(), top=5) == []


def test_no_match_and_empty_index(index: ExpertIndex, analyzer: Analyzer) -> None:
    assert index.search("", top=5) == []
    assert index.search("仓库着火", top=0) == []
    assert ExpertIndex(analyzer=analyzer).search("仓库着火") == []


# ------------------------------------------------------------------------------- incremental updates


def _rank_and_score(hits: list[Hit], expert_id: str) -> tuple[int | None, float | None]:
    for i, h in enumerate(hits):
        if h.id == expert_id:
            return i, h.score
    return None, None


def test_incremental_updates_match_a_rebuild(docs: list[ExpertDoc], analyzer: Analyzer) -> None:
    corpus = small(docs)
    added = corpus[-5:]
    changed = dataclasses.replace(corpus[10], specialties=("冷库货物损失", "冷链理赔"), regions=("辽宁",))
    removed = [corpus[20].id, corpus[-1].id]  # one base row, one delta document

    inc = ExpertIndex.from_docs(corpus[:-5], SearchParams(merge_threshold=1000), analyzer=analyzer)
    for d in added:
        inc.upsert(d)
    inc.upsert(changed)
    for rid in removed:
        assert inc.remove(rid)
    assert not inc.remove("EXP-99999")
    assert inc.delta_size == 5  # 4 added + 1 changed

    final = [changed if d.id == changed.id else d for d in corpus if d.id not in removed]
    fresh = ExpertIndex.from_docs(final, analyzer=analyzer)
    assert len(inc) == len(fresh) == len(final)
    assert sorted(d.id for d in inc.docs()) == sorted(d.id for d in final)
    assert inc.get(changed.id) == changed

    touched = [*added[:-1], changed]
    for doc in touched:
        text = " ".join(doc.specialties) + " " + doc.bio[:30]
        a = fresh.search(text, region=doc.regions[0], top=50)
        b = inc.search(text, region=doc.regions[0], top=50)
        ra, sa = _rank_and_score(a, doc.id)
        rb, sb = _rank_and_score(b, doc.id)
        assert ra is not None and ra == rb, (doc.id, ra, rb)
        assert sa is not None and sb is not None
        # The delta segment scores with the base segment's statistics: close, not identical.
        assert math.isclose(sa, sb, rel_tol=0.03), (sa, sb)
        assert [h.matched for h in a if h.id == doc.id] == [h.matched for h in b if h.id == doc.id]
    for rid in removed:
        assert all(h.id != rid for h in inc.search("火灾 仓库 冷链 海运 机器 工程", top=600))

    inc.merge()  # after a merge the index is a rebuild
    assert inc.delta_size == 0
    for doc in touched:
        text = " ".join(doc.specialties)
        a = fresh.search(text, top=20)
        b = inc.search(text, top=20)
        assert [h.id for h in a] == [h.id for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], rel=1e-5)


def test_delta_merges_past_threshold(docs: list[ExpertDoc], analyzer: Analyzer) -> None:
    corpus = small(docs, 200)
    idx = ExpertIndex.from_docs(corpus[:190], SearchParams(merge_threshold=4, merge_fraction=0.0), analyzer=analyzer)
    for d in corpus[190:194]:
        idx.upsert(d)
    assert idx.delta_size == 4
    idx.upsert(corpus[194])
    assert idx.delta_size == 0 and len(idx) == 195
    assert idx.search(" ".join(corpus[194].specialties), top=5)


def test_background_merge_keeps_serving_and_replays_updates(docs: list[ExpertDoc], analyzer: Analyzer) -> None:
    corpus = small(docs, 300)
    params = SearchParams(merge_threshold=3, merge_fraction=0.0, background_merge_min=100)
    idx = ExpertIndex.from_docs(corpus[:290], params, analyzer=analyzer)
    for d in corpus[290:294]:  # the 4th upsert crosses the threshold: merge starts in the background
        idx.upsert(d)
    late = dataclasses.replace(corpus[5], specialties=("航空事故技术调查",))
    idx.upsert(late)  # during or after the merge: either way it must survive it
    idx.remove(corpus[6].id)
    assert idx.wait_for_merge(timeout=60)
    assert not idx.merging
    assert len(idx) == 293
    assert idx.get(late.id) == late and idx.get(corpus[6].id) is None
    hits = idx.search("航空事故技术调查", top=300)
    assert late.id in {h.id for h in hits} and corpus[6].id not in {h.id for h in hits}
    idx.merge()
    assert idx.delta_size == 0 and len(idx) == 293


def test_upsert_into_empty_index(analyzer: Analyzer, docs: list[ExpertDoc]) -> None:
    idx = ExpertIndex(analyzer=analyzer)
    idx.upsert(docs[0])
    hits = idx.search(" ".join(docs[0].specialties))
    assert [h.id for h in hits] == [docs[0].id]


# ------------------------------------------------------------------------------- persistence


def test_save_load_round_trip(docs: list[ExpertDoc], analyzer: Analyzer, tmp_path: Path) -> None:
    corpus = small(docs, 400)
    idx = ExpertIndex.from_docs(corpus[:395], analyzer=analyzer)
    for d in corpus[395:]:
        idx.upsert(d)
    idx.remove(corpus[0].id)
    target = tmp_path / "expert-index"
    idx.save(target)
    idx.save(target)  # saving over an existing index replaces it
    assert (target / "sidecar.json").is_file() and (target / "bm25").is_dir()

    loaded = ExpertIndex.load(target, analyzer=analyzer)
    assert len(loaded) == len(idx) == 399 and loaded.delta_size == 5
    assert loaded.params == idx.params
    for text, region in [("仓库着火", None), ("冷库冻肉化了", "辽宁"), (" ".join(corpus[397].specialties), None)]:
        a = idx.search(text, region=region, top=10)
        b = loaded.search(text, region=region, top=10)
        assert [(h.id, h.score, h.matched) for h in a] == [(h.id, h.score, h.matched) for h in b]
    # The reloaded index keeps working incrementally.
    loaded.upsert(corpus[0])
    assert loaded.get(corpus[0].id) == corpus[0]
    loaded.merge()
    assert len(loaded) == 400


def test_load_rejects_unknown_format(tmp_path: Path, analyzer: Analyzer) -> None:
    (tmp_path / "sidecar.json").write_text('{"format": 99}', encoding="utf-8")
    with pytest.raises(ValueError, match="unsupported"):
        ExpertIndex.load(tmp_path, analyzer=analyzer)


# ------------------------------------------------------------------------------- metrics


def test_metrics_follow_the_readme_definitions() -> None:
    rel = {"a": 2, "b": 1, "c": 1}
    # duplicates ignored, unknown ids count 0
    ranked = ["x", "a", "a", "b"]
    dcg = 0 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(ranked, rel, 10) == pytest.approx(dcg / idcg)
    assert recall_at_k(ranked, rel, 10) == pytest.approx(2 / 3)  # min(10, 3) relevant
    assert precision_at_k(ranked, rel, 5) == pytest.approx(2 / 5)
    many = {f"e{i}": 1 for i in range(20)}
    assert recall_at_k([f"e{i}" for i in range(10)], many, 10) == 1.0
    assert ndcg_at_k(["a", "b", "c"], rel) == pytest.approx(1.0)
    assert evaluate([(["a"], rel), (["x"], rel)])["p@5"] == pytest.approx(0.1)
