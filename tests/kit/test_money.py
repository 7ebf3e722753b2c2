"""Money is Decimal, never float; rounding is half up to the fen; the Money column stores integer fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import StatementError

from tandem.db import DecimalText, Money, UTCDateTime
from tandem.kit.money import DecimalInputError, cny, fmt, from_fen, parse_decimal, round_cny, to_fen


@pytest.mark.parametrize("value", [0.1, 1.0, float("nan"), True, False])
def test_cny_refuses_float_and_bool(value: object) -> None:
    with pytest.raises(TypeError):
        cny(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("1234.5"), Decimal("1234.5")),
        (1234, Decimal("1234")),
        ("1234.50", Decimal("1234.50")),
        (" 7.25 ", Decimal("7.25")),
        ("-3", Decimal("-3")),
    ],
)
def test_cny_accepts_decimal_int_and_str(value: Decimal | int | str, expected: Decimal) -> None:
    result = cny(value)
    assert isinstance(result, Decimal)
    assert result == expected


@pytest.mark.parametrize("value", ["abc", "", "1,000", "NaN", "Infinity", Decimal("NaN"), Decimal("-Infinity")])
def test_cny_refuses_non_amounts(value: Decimal | str) -> None:
    with pytest.raises(ValueError):
        cny(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),
        ("0.004999", "0.00"),
        ("2.675", "2.68"),  # float 2.675 would round to 2.67
        ("1.125", "1.13"),  # banker's rounding would give 1.12
        ("-0.005", "-0.01"),  # half up = away from zero
        ("-1.125", "-1.13"),
        ("10", "10.00"),
        ("99999999999.995", "100000000000.00"),
    ],
)
def test_round_cny_is_half_up(value: str, expected: str) -> None:
    result = round_cny(Decimal(value))
    assert str(result) == expected
    assert fmt(Decimal(value)) == expected


def test_fen_conversion() -> None:
    assert to_fen(Decimal("1234.50")) == 123450
    assert to_fen(Decimal("0.005")) == 1
    assert to_fen(Decimal("-12.345")) == -1235
    assert from_fen(123450) == Decimal("1234.50")
    assert str(from_fen(5)) == "0.05"
    assert str(from_fen(-1235)) == "-12.35"


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=Decimal("-1e13"), max_value=Decimal("1e13"), places=2))
def test_fen_round_trip_is_exact_for_two_decimals(value: Decimal) -> None:
    assert from_fen(to_fen(value)) == value
    assert fmt(value) == f"{value:.2f}"


# ---- the column types, on the test's own database (SQLite and PostgreSQL) -----------------------


def _scratch_table(env: object) -> tuple[sa.Engine, sa.Table]:
    engine: sa.Engine = env.engine  # type: ignore[attr-defined]
    md = sa.MetaData()
    table = sa.Table(
        "money_scratch",
        md,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("amount", Money),
        sa.Column("rate", DecimalText),
        sa.Column("at", UTCDateTime),
    )
    md.create_all(engine)
    return engine, table


AMOUNTS = ["0.00", "0.01", "1234.50", "30000000.00", "-12.34", "9999999999999.99"]


def test_money_column_round_trips_and_stores_integer_fen(env) -> None:
    engine, table = _scratch_table(env)
    with engine.begin() as c:
        c.execute(table.insert(), [{"id": i, "amount": Decimal(a)} for i, a in enumerate(AMOUNTS)])
        c.execute(
            table.insert(),
            [{"id": 100, "amount": Decimal("1.005")}, {"id": 101, "amount": 7}, {"id": 102, "amount": None}],
        )
    with engine.connect() as c:
        back = dict(c.execute(sa.select(table.c.id, table.c.amount)).all())
        raw = dict(c.execute(sa.text("SELECT id, amount FROM money_scratch")).all())
    for i, a in enumerate(AMOUNTS):
        assert isinstance(back[i], Decimal)
        assert str(back[i]) == a
        assert raw[i] == int(Decimal(a) * 100) and isinstance(raw[i], int)
    assert str(back[100]) == "1.01" and raw[100] == 101  # rounded half up on the way in
    assert str(back[101]) == "7.00" and raw[101] == 700
    assert back[102] is None and raw[102] is None


def test_money_column_refuses_float(env) -> None:
    engine, table = _scratch_table(env)
    with pytest.raises(StatementError) as exc, engine.begin() as c:
        c.execute(table.insert().values(id=1, amount=12.5))
    assert isinstance(exc.value.orig, TypeError)
    with engine.connect() as c:
        assert c.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def test_decimal_text_and_utc_datetime_round_trip(env) -> None:
    engine, table = _scratch_table(env)
    shanghai = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 11, 25, 11, 4, 5, 123456, tzinfo=shanghai)
    with engine.begin() as c:
        c.execute(table.insert().values(id=1, rate=Decimal("0.0525"), at=at))
    with engine.connect() as c:
        rate, back = c.execute(sa.select(table.c.rate, table.c.at)).one()
    assert rate == Decimal("0.0525") and str(rate) == "0.0525"
    assert back == at and back.tzinfo is not None and back.utcoffset() == dt.timedelta(0)
    assert back.hour == 3 and back.microsecond == 123456
    with pytest.raises(StatementError) as exc, engine.begin() as c:
        c.execute(table.insert().values(id=2, at=dt.datetime(2026, 1, 1)))  # naive
    assert isinstance(exc.value.orig, ValueError)
    with pytest.raises(StatementError), engine.begin() as c:
        c.execute(table.insert().values(id=3, rate=0.05))


def test_policy_sums_round_trip_through_the_model(env) -> None:
    from sqlalchemy import select

    from tandem.policy.models import PolicySection

    with env.session() as s:
        rows = (
            s.execute(select(PolicySection).where(PolicySection.code == "building").order_by(PolicySection.sum_insured))
            .scalars()
            .all()
        )
        sums = [str(r.sum_insured) for r in rows]
        rates = [r.deductible_rate for r in rows]
    assert sums == ["15000000.00", "30000000.00"]
    assert rates == [Decimal("0.10"), Decimal("0.10")]


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("12.50", {}, Decimal("12.50")),
        (".5", {}, Decimal("0.5")),
        ("-3", {}, Decimal("-3")),
        ("1.2E+5", {}, Decimal("1.2E+5")),
        (Decimal("7"), {}, Decimal("7")),
        (42, {}, Decimal("42")),
        (" ¥12,500.00 ", {"grouping": True, "exponent": False}, Decimal("12500.00")),
        ("1 000，5", {"grouping": True}, Decimal("10005")),
    ],
)
def test_parse_decimal_accepts(value: object, kwargs: dict[str, bool], expected: Decimal) -> None:
    assert parse_decimal(value, **kwargs) == expected


@pytest.mark.parametrize(
    ("value", "kwargs", "kind"),
    [
        (0.5, {}, "float"),
        (True, {}, "type"),
        (None, {}, "type"),
        ([1], {}, "type"),
        ("1,000", {}, "syntax"),
        ("NaN", {}, "syntax"),
        ("1e5", {"exponent": False}, "syntax"),
        ("1.", {}, "syntax"),
        ("+1", {}, "syntax"),
        (Decimal("Infinity"), {}, "non_finite"),
        ("1E+999999999", {}, "range"),
        ("1" + "0" * 18, {}, "range"),
        ("0." + "1" * 21, {}, "range"),
    ],
)
def test_parse_decimal_refuses_naming_the_rule(value: object, kwargs: dict[str, bool], kind: str) -> None:
    with pytest.raises(DecimalInputError) as caught:
        parse_decimal(value, **kwargs)
    assert caught.value.kind == kind and caught.value.problem


def test_one_decimal_parser_behind_forms_reports_and_calculations() -> None:
    """The page forms, the report files of the reconciliation and the calculation files all read
    decimals through kit.money.parse_decimal, each with its own words for the field."""
    from tandem.reconciliation import align
    from tandem.settlement import calculator
    from tandem.web import forms

    assert forms.decimal("¥1,234.5") == Decimal("1234.5") and forms.decimal("-5") is None
    assert forms.decimal("1e5") is None
    errors: dict[str, object] = {}
    assert forms.money("12,500.00", errors, "a") == Decimal("12500.00") and not errors
    for typed, problem in (
        ("-1", forms.NEGATIVE),
        ("1.234", forms.TOO_MANY_DECIMALS),
        ("1" + "0" * 20, forms.TOO_LARGE),
    ):
        errors = {}
        assert forms.money(typed, errors, "a") is None and errors == {"a": problem}
    with pytest.raises(calculator.CalcInputError, match="not a decimal number"):
        calculator._decimal("1,000", "sections[0].sum_insured")
    with pytest.raises(align.ReportInputError, match="not a binary float"):
        align._decimal(0.5, "a.json", "items[0].loss", required=True)
    with pytest.raises(align.ReportInputError, match="not a decimal number"):
        align._decimal("12 000", "a.json", "items[0].loss", required=True)
