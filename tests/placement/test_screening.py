"""Stage 1 screening (初筛, R-U5): the pure filter on hand-made products (each reason code), and through
the API: the broker previews and saves shortlists as versions (audited), who may see the reasons."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from sqlalchemy import select

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tandem.party.models import Insurer, InsurerProduct, ProductStatus
from tandem.placement import screening
from tandem.placement.screening_models import Shortlist
from tests.helpers import _ok, placement_reported

START = dt.date(2027, 1, 1)
SUBJECT = {
    "sites": [
        {"ref": "S1", "sections": [{"sum_insured": "36000000.00"}, {"sum_insured": "18500000.50"}]},
        {"ref": "S2", "sections": [{"sum_insured": "8000000"}]},
    ]
}
POINTS = [screening.Point("1", "配电房电缆老化"), screening.Point("2", "雨季暴雨内涝")]


def _insurer(name: str) -> Organisation:
    return Organisation(id=uuid.uuid4(), name=name)


def _product(org: Organisation, code: str, **changes: object) -> InsurerProduct:
    values: dict[str, object] = {
        "id": uuid.uuid4(),
        "insurer_id": org.id,
        "insurer": org,
        "code": code,
        "name": code,
        "status": ProductStatus.PUBLISHED,
        "lines": ["企业财产保险"],
        "fund_mode": "traditional",
        "perils_covered": ["fire", "rainstorm", "flood"],
        "perils_excluded": ["earthquake"],
        "capacity": Decimal("100000000.00"),
        "valid_from": dt.date(2026, 1, 1),
        "valid_until": None,
    }
    values.update(changes)
    return InsurerProduct(**values)


def _codes(result: screening.Screening, code: str) -> list[str]:
    out = next(o for o in result.outcomes if o.code == code)
    return [r.code for r in out.reasons]


def test_each_reason_leaves_a_product_out_and_names_it() -> None:
    good, weak, unrated = _insurer("甲保险"), _insurer("乙保险"), _insurer("丙保险")
    standings = {
        good.id: Insurer(organisation_id=good.id, solvency_ratio=Decimal("215.4"), risk_rating="A"),
        weak.id: Insurer(organisation_id=weak.id, solvency_ratio=Decimal("99.99"), risk_rating="C"),
    }
    catalogue = [
        _product(good, "OK"),
        _product(good, "LINE", lines=["船舶保险"]),
        _product(good, "OLD", valid_until=dt.date(2026, 12, 31)),
        _product(good, "INV", fund_mode="investment"),
        _product(good, "EXCL", perils_covered=["fire"], perils_excluded=["rainstorm"]),
        _product(good, "SMALL", capacity=Decimal("54500000.49")),
        _product(good, "EXACT", capacity=Decimal("54500000.50")),
        _product(weak, "WEAK"),
        _product(unrated, "UNRATED"),
    ]
    result = screening.screen(catalogue, standings, lines=["企业财产保险"], start=START, subject=SUBJECT, points=POINTS)

    assert result.perils == {"fire": ["1"], "rainstorm": ["2"]}
    assert result.largest_risk == Decimal("54500000.50")  # site S1, not the programme's total
    assert [o.code for o in result.kept] == ["EXACT", "OK"]
    assert _codes(result, "LINE") == ["line"]
    assert _codes(result, "OLD") == ["not_in_force"]
    assert _codes(result, "INV") == ["fund_mode"]
    assert _codes(result, "EXCL") == ["peril_excluded"]
    assert _codes(result, "SMALL") == ["capacity"]
    assert _codes(result, "WEAK") == ["solvency", "rating"]
    assert _codes(result, "UNRATED") == ["solvency_unknown", "rating_unknown"]
    assert result.insurers_out == sorted([str(weak.id), str(unrated.id)])

    # A peril neither covered nor excluded, and the broker's own thresholds.
    narrow = _product(good, "NARROW", perils_covered=["fire"], perils_excluded=[])
    lax = screening.Settings(min_solvency=Decimal(90), ratings=("A", "B", "C"), perils=("fire", "rainstorm"))
    result = screening.screen(
        [narrow, _product(weak, "WEAK")],
        standings,
        lines=["企业财产保险"],
        start=START,
        subject=SUBJECT,
        points=POINTS,
        settings=lax,
    )
    assert _codes(result, "NARROW") == ["peril_not_covered"]
    assert _codes(result, "WEAK") == []
    # The broker names the perils instead: earthquake (no risk point mentions it) is excluded by every product.
    named = screening.Settings(perils=("earthquake",))
    by_broker = screening.screen(
        [narrow, _product(good, "OK")],
        standings,
        lines=["企业财产保险"],
        start=START,
        subject=SUBJECT,
        points=POINTS,
        settings=named,
    )
    assert by_broker.perils == {"earthquake": []} and _codes(by_broker, "OK") == ["peril_excluded"]
    assert _codes(by_broker, "NARROW") == ["peril_not_covered"]
    # In words, translated at display time; the peril by its label.
    reason = next(o for o in result.outcomes if o.code == "NARROW").reasons[0]
    assert screening.describe(reason.code, reason.params) == (
        "Does not cover a peril a risk point concerns: Rainstorm (2)."
    )


def _deciding(env) -> str:
    pid = placement_reported(env)
    risk = env.client("risk")
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register"), 201)
    _ok(risk.post(f"/api/v1/placements/{pid}/risk-register/publish"))
    return pid


def test_broker_previews_and_saves_versions_of_the_shortlist(env) -> None:
    pid = _deciding(env)
    base = f"/api/v1/placements/{pid}"
    broker = env.client("broker")
    preview = _ok(broker.get(f"{base}/screening"))
    assert preview["criteria"]["ratings"] == ["A", "B"] and preview["criteria"]["min_solvency"] == "100"
    assert preview["criteria"]["perils"]["fire"] == ["1", "2"]
    assert preview["kept"], preview
    assert all(r["text"] for o in preview["excluded"] for r in o["reasons"])
    assert all(o["reasons"] for o in preview["excluded"]) and not any(o["reasons"] for o in preview["kept"])

    first = _ok(broker.post(f"{base}/shortlist", json={}), 201)
    assert first["version"] == 1 and first["kept"] == preview["kept"]

    # Only A-rated insurers now: the B-rated insurer's products leave with the reason in words.
    second = _ok(broker.post(f"{base}/shortlist", json={"ratings": ["A"]}), 201)
    assert second["version"] == 2
    out = [o for o in second["excluded"] if any(r["code"] == "rating" for r in o["reasons"])]
    assert out and all(o["insurer"] == "太和财产保险股份有限公司" for o in out)
    assert "Risk rating B is not among A." in [r["text"] for r in out[0]["reasons"]]

    versions = _ok(broker.get(f"{base}/shortlist"))
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["kept"] == first["kept"]  # the first version is as it was saved
    with env.session() as s:
        assert s.execute(select(Shortlist).where(Shortlist.case_id == uuid.UUID(pid))).scalars().all().__len__() == 2
        events = s.execute(select(AuditEvent).where(AuditEvent.action == "placement.shortlist")).scalars().all()
        assert sorted(e.after["version"] for e in events) == [1, 2]

    bad = broker.post(f"{base}/shortlist", json={"ratings": ["E"], "min_solvency": "-1", "perils": ["meteor"]})
    assert bad.status_code == 422 and set(bad.json()["error"]["fields"]) == {"ratings", "min_solvency", "perils"}
    quake = _ok(broker.get(f"{base}/screening", params={"perils": ["earthquake"]}))
    assert quake["criteria"]["perils"] == {"earthquake": []}
    assert any(r["code"] == "peril_excluded" for o in quake["excluded"] for r in o["reasons"])


def test_only_the_brokers_staff_see_the_reasons(env) -> None:
    pid = placement_reported(env)
    base = f"/api/v1/placements/{pid}"
    assert env.client("broker").get(f"{base}/screening").status_code == 409  # not deciding yet
    risk = env.client("risk")
    _ok(risk.post(f"{base}/risk-register"), 201)
    _ok(risk.post(f"{base}/risk-register/publish"))
    _ok(env.client("broker").post(f"{base}/shortlist", json={}), 201)
    for user in ("insured1", "adjuster1"):  # parties on the case: not the reasons
        for r in (env.client(user).get(f"{base}/screening"), env.client(user).get(f"{base}/shortlist")):
            assert r.status_code == 403, (user, r.text)
    for user in ("insured2", "underwriter1", "underwriter2"):  # not on the case: does not exist
        for r in (env.client(user).get(f"{base}/screening"), env.client(user).post(f"{base}/shortlist", json={})):
            assert r.status_code == 404, (user, r.text)
