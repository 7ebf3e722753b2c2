"""``tandem experts import`` / ``tandem experts search`` end to end, in subprocesses, exactly as the
evaluation runs them (``tandem db upgrade``, ``tandem experts import experts.jsonl``, then
``tandem experts search "<text>" --top 10 --json [--line X] [--region Y]``), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from bench.metrics import ndcg_at_k
from sqlalchemy import create_engine, func, select, text, update

from tandem.config import Settings
from tandem.db import make_engine, make_session_factory, normalise_url, unit_of_work
from tandem.expert import service
from tandem.expert.search import ExpertIndex, load_experts
from tandem.party.models import Expert, Visibility
from tests.conftest import BACKENDS, PG_URL

DATA = Path(__file__).resolve().parents[1] / "data" / "experts"
TANDEM = str(Path(sys.executable).with_name("tandem"))


@dataclass
class Db:
    backend: str
    url: str
    var: Path

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "TANDEM_DATABASE_URL": self.url, "TANDEM_VAR_DIR": str(self.var)}
        r = subprocess.run([TANDEM, *args], capture_output=True, text=True, env=env, timeout=300, check=False)
        if check:
            assert r.returncode == 0, (args, r.returncode, r.stderr)
        return r

    def count(self) -> int:
        engine = make_engine(self.url)
        try:
            with engine.connect() as c:
                return int(c.execute(select(func.count(Expert.id))).scalar_one())
        finally:
            engine.dispose()

    def settings(self) -> Settings:
        return Settings(
            env="test",
            database_url=self.url,
            var_dir=self.var,
            secret_key="test-secret",
            argon2_time_cost=1,
            argon2_memory_cost=8,
            argon2_parallelism=1,
        )


def _queries() -> list[dict[str, Any]]:
    with (DATA / "queries-dev.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="module", params=BACKENDS)
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Db]:
    """A fresh database, upgraded and loaded with the 3,000 profiles through the CLI (once per backend)."""
    tmp = tmp_path_factory.mktemp(f"experts-{request.param}")
    name = ""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'experts.db'}"
    else:
        assert PG_URL
        name = f"tandem_experts_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalise_url(PG_URL), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = normalise_url(PG_URL).rsplit("/", 1)[0] + f"/{name}"
    d = Db(request.param, url, tmp / "var")
    d.run("db", "upgrade")
    r = d.run("experts", "import", str(DATA / "experts.jsonl"))
    assert "3000 new" in r.stdout, r.stdout
    yield d
    service.forget_cached(d.settings())
    if name:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_import_is_idempotent(db: Db) -> None:
    assert db.count() == 3000
    r = db.run("experts", "import", str(DATA / "experts.jsonl"))
    assert r.stdout.strip() == ("imported 3000 experts: 0 new, 0 updated, 3000 unchanged; 0 organisations created")
    assert db.count() == 3000


def test_bad_file_is_refused_whole_with_line_numbers(db: Db, tmp_path: Path) -> None:
    good = [json.loads(line) for line in (DATA / "experts.jsonl").read_text(encoding="utf-8").splitlines()[:3]]
    fresh = [{**g, "id": f"EXP-9{i:04d}"} for i, g in enumerate(good)]
    lines = [
        json.dumps(fresh[0], ensure_ascii=False),
        "{not json",
        json.dumps(fresh[1], ensure_ascii=False),
        json.dumps({**fresh[2], "owner_type": "insurer"}, ensure_ascii=False),
        json.dumps({**fresh[2], "lines": "企业财产保险"}, ensure_ascii=False),
        json.dumps(fresh[1], ensure_ascii=False),
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r = db.run("experts", "import", str(bad), check=False)
    assert r.returncode == 2
    for no, what in ((2, "not JSON"), (4, "owner_type"), (5, "lines"), (6, "already on line 3")):
        assert f"line {no}: " in r.stderr and what in r.stderr, (no, r.stderr)
    assert "line 1:" not in r.stderr and "line 3:" not in r.stderr
    assert "nothing imported" in r.stderr
    assert db.count() == 3000


def _search(db: Db, q: dict[str, Any], *extra: str) -> list[dict[str, Any]]:
    args = ["experts", "search", q["text"], "--top", "10", "--json"]
    if q["filters"].get("line"):
        args += ["--line", q["filters"]["line"]]
    if q["filters"].get("region"):
        args += ["--region", q["filters"]["region"]]
    out: list[dict[str, Any]] = json.loads(db.run(*args, *extra).stdout)
    return out


def test_search_through_the_cli_matches_the_engine(db: Db) -> None:
    queries = _queries()[::10]  # 4 of the 40 dev queries
    engine = ExpertIndex.from_docs(load_experts(DATA / "experts.jsonl"), cache_dir=db.var / "jieba-cache")
    cli_scores, own_scores = [], []
    for q in queries:
        hits = _search(db, q)
        assert len(hits) == 10
        for h in hits:
            assert set(h) == {"id", "name", "score", "matched"}
            assert isinstance(h["id"], str) and h["id"].startswith("EXP-") and isinstance(h["score"], float)
            assert isinstance(h["matched"], list) and all(isinstance(m, str) for m in h["matched"])
        assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)
        ids = [h["id"] for h in hits]
        own = [
            h.id
            for h in engine.search(q["text"], line=q["filters"].get("line"), region=q["filters"].get("region"), top=10)
        ]
        assert len(set(ids) & set(own)) >= 8, (q["id"], ids, own)
        cli_scores.append(ndcg_at_k(ids, q["relevant"]))
        own_scores.append(ndcg_at_k(own, q["relevant"]))
    cli, mine = sum(cli_scores) / len(queries), sum(own_scores) / len(queries)
    print(f"nDCG@10 on {len(queries)} dev queries: CLI {cli:.3f}, in-process {mine:.3f}")
    assert cli == pytest.approx(mine, abs=0.02)
    assert cli >= 0.75


def test_search_as_a_user_sees_only_shared_pools(db: Db) -> None:
    q = _queries()[0]
    everyone = _search(db, q)
    first = everyone[0]["id"]
    factory = make_session_factory(make_engine(db.url))
    with unit_of_work(factory) as s:
        from tandem import demo
        from tandem.kit.clock import SystemClock

        demo.load(s, db.settings(), SystemClock().now())  # the demo users (broker, adjuster1, insured1 …)
        s.execute(update(Expert).where(Expert.external_id == first).values(visibility=Visibility.PRIVATE))
        owner = s.execute(select(Expert.owner_id).where(Expert.external_id == first)).scalar_one()
        assert owner is not None
    try:
        assert first not in {h["id"] for h in _search(db, q, "--as", "broker")}
        assert first in {h["id"] for h in _search(db, q)}  # without --as: every pool
        assert _search(db, q, "--as", "insured1") == []  # insureds have no expert pools
        r = db.run("experts", "search", "火灾", "--as", "nobody", "--json", check=False)
        assert r.returncode == 2 and "nobody" in r.stderr
    finally:
        with unit_of_work(factory) as s:
            s.execute(update(Expert).where(Expert.external_id == first).values(visibility=Visibility.PARTNERS))


def test_an_edit_updates_the_saved_index_incrementally(db: Db) -> None:
    import datetime as dt

    from tandem.kit.clock import SystemClock

    settings = db.settings()
    service.forget_cached(settings)
    factory = make_session_factory(make_engine(db.url))
    total = db.count()
    with unit_of_work(factory) as s:
        index, stats = service.sync_index(s, settings)
        assert stats.mode == "loaded" and len(index) == total
    with unit_of_work(factory) as s:
        s.execute(
            update(Expert)
            .where(Expert.external_id == "EXP-00007")
            .values(specialties=["量子陀螺仪失效分析"], updated_at=SystemClock().now() + dt.timedelta(seconds=1))
        )
    service.forget_cached(settings)
    with unit_of_work(factory) as s:
        index, stats = service.sync_index(s, settings)
    assert stats.mode == "reconciled" and stats.upserted >= 1 and stats.upserted < 50, stats
    hits = json.loads(db.run("experts", "search", "量子陀螺仪坏了", "--top", "1", "--json").stdout)
    assert hits[0]["id"] == "EXP-00007"


def test_deep_nesting_and_huge_years_exit_2_naming_the_field(db: Db, tmp_path: Path) -> None:
    """Both used to exit 1: a RecursionError from the JSON parser, an integer overflow in the database."""
    good = json.loads((DATA / "experts.jsonl").read_text(encoding="utf-8").splitlines()[0])
    deep = json.dumps({**good, "id": "EXP-DEEP"}, ensure_ascii=False).replace(
        '"bio": ', '"bio": ' + "[" * 100_000 + "]" * 100_000 + ', "x": ', 1
    )
    huge = json.dumps({**good, "id": "EXP-HUGE", "years": 10**30}, ensure_ascii=False)
    before = db.count()
    for no, (line, field) in enumerate(((deep, "bio"), (huge, "years")), start=1):
        path = tmp_path / f"bad{no}.jsonl"
        path.write_text(line + "\n", encoding="utf-8")
        r = db.run("experts", "import", str(path), check=False)
        assert r.returncode == 2, r.stderr
        assert f"line 1: {field}: " in r.stderr, r.stderr
        assert "Traceback" not in r.stderr and "nothing imported" in r.stderr
    assert db.count() == before
