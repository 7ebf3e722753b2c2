"""A broker's book imported from XLSX or CSV (issue 19 item 2): what a good book creates (and that an
imported policy takes a claim notice), that one bad line writes nothing and is named by line and field,
and that importing the same book again creates nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from tandem.access.models import Organisation
from tandem.audit.models import AuditEvent
from tandem.kit import sheets
from tandem.party.models import Adjuster, AdjusterFirm, FilingStatus, Insured
from tandem.policy import book
from tandem.policy.models import Policy, PolicyStatus
from tests.helpers import (
    BOOK_FIRM,
    BOOK_POLICY,
    _body,
    _user_actor,
    book_csv,
    book_sheets,
    book_xlsx,
)


def _import(env, data: bytes, name: str, *, commit: bool = True) -> book.Outcome:
    with env.session() as s:
        out = book.import_book(
            s, env.settings, _user_actor(s, "broker"), sheets.read_table(data, name), at=env.clock.now()
        )
        if commit and not out.errors:
            s.commit()
        else:
            s.rollback()
    return out


def _counts(env) -> tuple[int, ...]:
    with env.session() as s:
        return tuple(
            s.execute(select(func.count()).select_from(m)).scalar_one()
            for m in (Organisation, Adjuster, Policy, AuditEvent)
        )


def test_a_good_xlsx_book_creates_what_it_says_and_again_nothing(env) -> None:
    out = _import(env, book_xlsx(book_sheets()), "book.xlsx")
    assert out.errors == []
    assert out.created["firm"] == [BOOK_FIRM]
    assert out.created["adjuster"] == ["沈建华", "周敏"]
    assert out.created["insured"] == ["湖州恒达纺织有限公司", "王秀英"]
    assert out.created["policy"] == [BOOK_POLICY]
    assert out.created["section"] == [f"{BOOK_POLICY}/building", f"{BOOK_POLICY}/stock"]
    with env.session() as s:
        policy = s.execute(select(Policy).where(Policy.number == BOOK_POLICY)).scalar_one()
        assert policy.status == PolicyStatus.IN_FORCE
        assert policy.designated_adjuster is not None and policy.designated_adjuster.name == "沈建华"
        building, stock = policy.sections
        assert (str(building.sum_insured), str(building.deductible_rate)) == ("12000000.00", "0.1")
        assert building.options == {"basis": "average"} and stock.options == {"basis": "first_loss"}
        firm = s.execute(select(AdjusterFirm).join(AdjusterFirm.organisation).where(Organisation.name == BOOK_FIRM))
        assert firm.scalar_one().filing_status == FilingStatus.FILED
        person = s.execute(select(Insured).where(Insured.kind == "person", Insured.id_number.is_not(None)))
        assert "王秀英" in [i.organisation.name for i in person.scalars()]
        actions = set(s.execute(select(AuditEvent.action).where(AuditEvent.occurred_at == env.clock.now())).scalars())
    assert {"organisation.created", "adjuster.registered", "policy.created", "policy.bind", "book.imported"} <= actions
    before = _counts(env)
    again = _import(env, book_xlsx(book_sheets()), "book.xlsx")
    assert again.errors == [] and not any(again.created[k] for k in ("firm", "adjuster", "insured", "policy"))
    assert again.existing["policy"] == [BOOK_POLICY] and len(again.existing["adjuster"]) == 2
    assert _counts(env)[:3] == before[:3]
    # The imported policy takes a claim notice from the broker's desk (intake works on it).
    with env.session() as s:
        pid = str(s.execute(select(Policy.id).where(Policy.number == BOOK_POLICY)).scalar_one())
    r = env.client("broker").post("/api/v1/claims", json=_body(pid))
    assert r.status_code == 201, r.text


def test_one_bad_line_writes_nothing_and_names_the_line_and_field(env) -> None:
    before = _counts(env)
    bad = book_sheets(insured={"uscc": "91330500MA2B3C4D5X"})
    out = _import(env, book_csv(bad), "book.csv")
    # The CSV's header is line 1: firm 2, adjusters 3-4, insureds 5-6; the policy naming it fails too.
    assert [(e.line, e.field) for e in out.errors] == [(5, "uscc"), (7, "insured")]
    assert _counts(env) == before


def test_the_designated_adjuster_is_checked_like_any_routing_choice(env) -> None:
    """A firm without a published filing (备案) is never routed work, so its practitioner cannot be
    designated: refused at the policy's line, beside the column."""
    out = _import(env, book_xlsx(book_sheets(firm={"filing_no": ""})), "book.xlsx")
    assert [(e.sheet, e.line, e.field) for e in out.errors] == [("policy", 2, "designated_adjuster")]
    assert "备案" in str(out.errors[0].message)


def test_section_values_are_refused_beside_their_column(env) -> None:
    bad = book_sheets(section={"sum_insured": "12,0a0", "basis": "pro_rata", "deductible_rate": "150%"})
    out = _import(env, book_xlsx(bad), "book.xlsx")
    assert sorted((e.sheet, e.line, e.field) for e in out.errors) == [
        ("section", 2, "basis"),
        ("section", 2, "deductible_rate"),
        ("section", 2, "sum_insured"),
    ]


def test_an_unreadable_file_is_refused_whole() -> None:
    import io
    import zipfile

    import pytest

    good = book_xlsx(book_sheets())
    damaged = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[:50] if item.filename.endswith("sheet1.xml") else data)
    cases = {
        "book.xlsx": (good[: len(good) // 2], sheets.NOT_XLSX),
        "damaged.xlsx": (damaged.getvalue(), sheets.NOT_XLSX),
        "nul.csv": (b"record,name\ninsured,a\x00b\n", sheets.CONTROL),
        "latin.csv": ("record,name\ninsured,Müller\n".encode("latin-1"), sheets.NOT_UTF8),
        "huge.csv": (b"record,name\ninsured," + b"x" * 200_000 + b"\n", sheets.NOT_CSV),
    }
    for name, (data, message) in cases.items():
        with pytest.raises(sheets.SheetError) as caught:
            sheets.read_table(data, name)
        assert str(caught.value) == message, name


def test_the_api_names_each_refusal_and_writes_nothing_then_imports(env) -> None:
    c = env.client("broker")
    before = _counts(env)
    bad = book_csv(book_sheets(insured={"uscc": "91330500MA2B3C4D5X"}))
    r = c.post("/api/v1/book/imports", files={"file": ("book.csv", bad, "text/csv")})
    assert r.status_code == 422, r.text
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"csv[5].uscc", "csv[7].insured"}
    assert _counts(env) == before
    good = book_xlsx(book_sheets())
    r = c.post("/api/v1/book/imports?dry_run=true", files={"file": ("book.xlsx", good, "application/octet-stream")})
    assert r.status_code == 200 and r.json()["created"]["policy"] == [BOOK_POLICY]
    assert _counts(env) == before
    r = c.post("/api/v1/book/imports", files={"file": ("book.xlsx", good, "application/octet-stream")})
    assert r.status_code == 200 and r.json()["dry_run"] is False
    assert _counts(env)[2] == before[2] + 1
    assert env.client("insured1").post("/api/v1/book/imports", files={"file": ("b.xlsx", good)}).status_code == 403
