"""Insurers' products (保险产品) through the API: who sees which product, who may write (another insurer
gets 404, readers 403), validation naming the field with nothing written, status changes and versions
with their audit events, and the insurer's standing (solvency ratio, risk rating)."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tandem.audit.models import AuditEvent
from tandem.party.models import Insurer, InsurerProduct
from tests.helpers import product_body as body

ZA, TH = "中安财产保险股份有限公司", "太和财产保险股份有限公司"
PLACEMENT_LINES = ("企业财产保险", "机器损坏保险", "营业中断保险", "公众责任保险", "建筑工程一切险", "安装工程一切险")


def product_id(env, code: str) -> str:
    with env.session() as s:
        return str(s.execute(select(InsurerProduct.id).where(InsurerProduct.code == code)).scalar_one())


def counts(env) -> tuple[int, int]:
    with env.session() as s:
        return (
            s.execute(select(func.count()).select_from(InsurerProduct)).scalar_one(),
            s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
        )


# ---- reading ------------------------------------------------------------------------------------


def test_broker_reads_every_offered_product_with_its_figures(env) -> None:
    rows = env.client("broker").get("/api/v1/products").json()
    codes = {p["code"] for p in rows}
    assert {"ZA-QC-2024", "ZA-JX-2025", "ZA-YZ-2025", "ZA-GZ-2025", "ZA-GC-2025", "TH-CA-2025"} <= codes
    assert "ZA-QC-2021" in codes  # withdrawn: still read, for the policies placed under it
    assert "TH-HW-2026" not in codes  # a draft is its insurer's own
    qc = next(p for p in rows if p["code"] == "ZA-QC-2024")
    assert qc["insurer"]["name"] == ZA
    assert (qc["status"], qc["in_force"], qc["lines"], qc["fund_mode"]) == (
        "published",
        True,
        ["企业财产保险"],
        "traditional",
    )
    assert qc["rates"][0] == {"section_type": "building", "rate_permille": "0.85"}
    assert (qc["capacity"], qc["minimum_premium"]) == ("800000000.00", "1000.00")
    assert (qc["coefficient_min"], qc["coefficient_max"], qc["short_period"]) == ("0.70", "1.30", "table")
    assert {"code": "sprinkler", "min": "0.80", "max": "1.00"} in qc["factors"]
    assert "fire" in qc["perils_covered"] and "earthquake" in qc["perils_excluded"]
    old = next(p for p in rows if p["code"] == "ZA-QC-2021")
    assert (old["status"], old["in_force"]) == ("withdrawn", False)
    # each demo insurer offers the five lines of a placement
    for insurer in (ZA, TH):
        lines = {line for p in rows if p["insurer"]["name"] == insurer and p["in_force"] for line in p["lines"]}
        assert set(PLACEMENT_LINES) <= lines
    only = env.client("broker").get("/api/v1/products", params={"line": "机器损坏保险", "in_force": True}).json()
    assert sorted(p["code"] for p in only) == ["TH-JX-2025", "ZA-JX-2025"]
    assert env.client("broker").get(f"/api/v1/products/{qc['id']}").json() == qc


def test_an_insurer_sees_its_own_products_and_only_the_published_ones_of_others(env) -> None:
    za = {p["code"] for p in env.client("underwriter1").get("/api/v1/products").json()}
    th = {p["code"] for p in env.client("underwriter2").get("/api/v1/products").json()}
    assert "ZA-QC-2021" in za and "TH-HW-2026" not in za and "TH-CA-2025" in za
    assert "TH-HW-2026" in th and "ZA-QC-2021" not in th and "ZA-QC-2024" in th
    draft, withdrawn = product_id(env, "TH-HW-2026"), product_id(env, "ZA-QC-2021")
    missing = env.client("underwriter1").get("/api/v1/products/00000000-0000-0000-0000-000000000000")
    for user, pid in (("underwriter1", draft), ("underwriter2", withdrawn), ("insurer1", draft)):
        r = env.client(user).get(f"/api/v1/products/{pid}")
        assert (r.status_code, r.json()) == (404, missing.json())


@pytest.mark.parametrize("user", ["insured1", "adjuster1"])
def test_insureds_and_adjuster_firms_see_no_product(env, user: str) -> None:
    assert env.client(user).get("/api/v1/products").json() == []
    assert env.client(user).get(f"/api/v1/products/{product_id(env, 'ZA-QC-2024')}").status_code == 404


def test_regulator_reads_offered_products(env) -> None:
    codes = {p["code"] for p in env.client("regulator").get("/api/v1/products").json()}
    assert "ZA-QC-2024" in codes and "TH-HW-2026" not in codes


# ---- writing ------------------------------------------------------------------------------------


def test_underwriter_creates_a_draft_publishes_it_and_edits_it(env) -> None:
    uw = env.client("underwriter1")
    r = uw.post("/api/v1/products", json=body())
    assert r.status_code == 201, r.text
    p = r.json()
    assert (p["status"], p["version"], p["insurer"]["name"], p["in_force"]) == ("draft", 1, ZA, False)
    assert p["rates"][1] == {"section_type": "stock", "rate_permille": "1.2"}  # a JSON number, never a float
    assert env.client("broker").get(f"/api/v1/products/{p['id']}").status_code == 404
    assert env.client("underwriter2").get(f"/api/v1/products/{p['id']}").status_code == 404

    r = uw.post(f"/api/v1/products/{p['id']}/actions", json={"action": "publish"})
    assert (r.status_code, r.json()["status"], r.json()["version"], r.json()["in_force"]) == (200, "published", 2, True)
    assert env.client("broker").get(f"/api/v1/products/{p['id']}").json()["status"] == "published"
    assert uw.post(f"/api/v1/products/{p['id']}/actions", json={"action": "publish"}).status_code == 409

    r = uw.put(f"/api/v1/products/{p['id']}", json=body(version=2, capacity="400000000", name="新名称"))
    assert r.status_code == 200, r.text
    assert (r.json()["capacity"], r.json()["name"], r.json()["version"]) == ("400000000.00", "新名称", 3)
    stale = uw.put(f"/api/v1/products/{p['id']}", json=body(version=2))
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "state.changed"

    r = uw.post(f"/api/v1/products/{p['id']}/actions", json={"action": "withdraw"})
    assert r.json()["status"] == "withdrawn"
    assert uw.put(f"/api/v1/products/{p['id']}", json=body()).status_code == 409
    with env.session() as s:
        actions = s.execute(
            select(AuditEvent.action).where(AuditEvent.entity_id == p["id"]).order_by(AuditEvent.seq)
        ).scalars()
        assert list(actions) == ["product.created", "product.published", "product.updated", "product.withdrawn"]


def test_an_insurer_cannot_edit_another_insurers_product(env) -> None:
    published = product_id(env, "ZA-QC-2024")
    before = env.client("underwriter1").get(f"/api/v1/products/{published}").json()
    missing = env.client("underwriter2").put("/api/v1/products/00000000-0000-0000-0000-000000000000", json=body())
    assert missing.status_code == 404
    for method, path, doc in (
        ("put", f"/api/v1/products/{published}", body()),
        ("post", f"/api/v1/products/{published}/actions", {"action": "withdraw"}),
    ):
        r = getattr(env.client("underwriter2"), method)(path, json=doc)
        assert (r.status_code, r.json()) == (404, missing.json())
        for reader in ("broker", "regulator", "insurer1"):  # may read it, may not write it
            assert getattr(env.client(reader), method)(path, json=doc).status_code == 403
    assert env.client("underwriter1").get(f"/api/v1/products/{published}").json() == before


@pytest.mark.parametrize("user", ["broker", "insurer1", "regulator", "insured1"])
def test_only_underwriters_create_products(env, user: str) -> None:
    before = counts(env)
    assert env.client(user).post("/api/v1/products", json=body()).status_code == 403
    assert counts(env) == before


def test_codes_are_unique(env) -> None:
    before = counts(env)
    for user in ("underwriter1", "underwriter2"):
        r = env.client(user).post("/api/v1/products", json=body(code="ZA-QC-2024"))
        assert r.status_code == 409 and set(r.json()["error"]["fields"]) == {"code"}
    assert counts(env) == before
    pid = product_id(env, "ZA-JX-2025")
    r = env.client("underwriter1").put(f"/api/v1/products/{pid}", json=body(code="ZA-QC-2024"))
    assert r.status_code == 409 and set(r.json()["error"]["fields"]) == {"code"}


def _set(path: list[Any], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(doc: dict[str, Any]) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


BAD: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "rate zero": (_set(["rates", 1, "rate_permille"], "0"), "rates[1].rate_permille"),
    "rate over 1000": (_set(["rates", 0, "rate_permille"], "1000.5"), "rates[0].rate_permille"),
    "rate not a number": (_set(["rates", 0, "rate_permille"], "abc"), "rates[0].rate_permille"),
    "rate NaN": (_set(["rates", 0, "rate_permille"], "NaN"), "rates[0].rate_permille"),
    "unknown section type": (_set(["rates", 1, "section_type"], "yacht"), "rates[1].section_type"),
    "section type twice": (_set(["rates", 1, "section_type"], "building"), "rates[1].section_type"),
    "no rates": (_set(["rates"], []), "rates"),
    "unknown line": (_set(["lines"], ["汽车保险"]), "lines[0]"),
    "no line": (_set(["lines"], []), "lines"),
    "unknown peril": (_set(["perils_covered", 2], "meteor"), "perils_covered[2]"),
    "covered and excluded": (_set(["perils_excluded"], ["war", "fire"]), "perils_excluded[1]"),
    "factor max below min": (_set(["factors", 0, "max"], "0.70"), "factors[0].max"),
    "factor min zero": (_set(["factors", 0, "min"], "0"), "factors[0].min"),
    "unknown factor": (_set(["factors", 0, "code"], "astrology"), "factors[0].code"),
    "coefficient max below min": (_set(["coefficient_max"], "0.5"), "coefficient_max"),
    "capacity zero": (_set(["capacity"], "0"), "capacity"),
    "capacity fractions of a fen": (_set(["capacity"], "100.001"), "capacity"),
    "minimum premium negative": (_set(["minimum_premium"], "-1"), "minimum_premium"),
    "unknown fund mode": (_set(["fund_mode"], "casino"), "fund_mode"),
    "unknown short-period method": (_set(["short_period"], "weekly"), "short_period"),
    "unknown currency": (_set(["currency"], "JPY"), "currency"),
    "validity ends before it starts": (_set(["valid_until"], "2025-12-31"), "valid_until"),
    "no such date": (_set(["valid_from"], "2026-02-30"), "valid_from"),
    "blank name": (_set(["name"], "  "), "name"),
    "code with a space": (_set(["code"], "ZA TEST"), "code"),
    "unknown key": (_set(["deductible"], "1000"), "deductible"),
}


@pytest.mark.parametrize("case", BAD.keys())
def test_bad_fields_are_named_and_nothing_is_written(env, case: str) -> None:
    change, path = BAD[case]
    doc = copy.deepcopy(body())
    change(doc)
    before = counts(env)
    r = env.client("underwriter1").post("/api/v1/products", json=doc)
    assert r.status_code == 422, r.text
    assert path in r.json()["error"]["fields"], r.json()
    assert counts(env) == before
    # the same check on a change: the stored product stays as it was
    pid = product_id(env, "ZA-QC-2024")
    stored = env.client("underwriter1").get(f"/api/v1/products/{pid}").json()
    r = env.client("underwriter1").put(f"/api/v1/products/{pid}", json=doc)
    assert r.status_code == 422 and path in r.json()["error"]["fields"]
    assert env.client("underwriter1").get(f"/api/v1/products/{pid}").json() == stored


def test_every_bad_field_is_named_at_once(env) -> None:
    doc = body(capacity="0", minimum_premium="-5", short_period="x")
    fields = env.client("underwriter1").post("/api/v1/products", json=doc).json()["error"]["fields"]
    assert {"capacity", "minimum_premium", "short_period"} <= set(fields)


def test_vocabulary_lists_the_codes(env) -> None:
    v = env.client("underwriter1").get("/api/v1/cover-vocabulary").json()
    assert "fire" in v["perils"] and "building" in v["section_types"] and "sprinkler" in v["rating_factors"]
    assert "公众责任保险" in v["lines"] and v["risk_ratings"] == ["A", "B", "C", "D"]


# ---- the insurer's standing ---------------------------------------------------------------------


def test_insurers_standing_is_read_by_brokers_and_kept_by_its_underwriters(env) -> None:
    rows = {i["name"]: i for i in env.client("broker").get("/api/v1/insurers").json()}
    assert (rows[ZA]["solvency_ratio"], rows[ZA]["risk_rating"]) == ("215.40", "A")
    assert (rows[TH]["solvency_ratio"], rows[TH]["risk_rating"]) == ("168.70", "B")
    assert rows[ZA]["standing_as_of"] == "2026-09-30"  # the quarter before the demo's today
    za = rows[ZA]["id"]
    doc = {"solvency_ratio": "198.2", "risk_rating": "B", "as_of": "2026-09-30"}
    r = env.client("underwriter1").put(f"/api/v1/insurers/{za}/standing", json=doc)
    assert r.status_code == 200, r.text
    assert (r.json()["solvency_ratio"], r.json()["risk_rating"]) == ("198.2", "B")
    assert env.client("underwriter2").put(f"/api/v1/insurers/{za}/standing", json=doc).status_code == 404
    assert env.client("broker").put(f"/api/v1/insurers/{za}/standing", json=doc).status_code == 403
    assert env.client("insured1").get(f"/api/v1/insurers/{za}").status_code == 404
    with env.session() as s:
        assert s.get(Insurer, uuid.UUID(za)).risk_rating == "B"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"risk_rating": "E"}, "risk_rating"),
        ({"solvency_ratio": "-1"}, "solvency_ratio"),
        ({"solvency_ratio": "10000.01"}, "solvency_ratio"),
        ({"as_of": "2026-12-31"}, "as_of"),
        ({"as_of": "not a date"}, "as_of"),
    ],
)
def test_bad_standing_names_the_field(env, change: dict[str, str], field: str) -> None:
    za = next(i["id"] for i in env.client("broker").get("/api/v1/insurers").json() if i["name"] == ZA)
    doc = {"solvency_ratio": "198.2", "risk_rating": "B", "as_of": "2026-09-30", **change}
    r = env.client("underwriter1").put(f"/api/v1/insurers/{za}/standing", json=doc)
    assert r.status_code == 422 and field in r.json()["error"]["fields"], r.text
    assert env.client("broker").get(f"/api/v1/insurers/{za}").json()["risk_rating"] == "A"
