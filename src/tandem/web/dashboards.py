"""Dashboards (数据看板, issue 18 item 4): one page per role with the market figures that party can act on,
trend charts drawn on the server (``web/figure_chart.py``), the table beneath, filters (period, line,
region, insurer, firm, grouping) and CSV / XLSX exports of exactly the table shown.

Rows come from ``tandem.figures`` (the reader's claims only; supervision reads the market). For every
party but the broker, a figure computed from fewer than 5 distinct insureds is hidden ("not enough data").
A filter naming an insurer or firm the reader has no row of is the same 404 as one that does not exist."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import xlsxwriter
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.deps import ClockDep, SessionDep
from tandem.fees.invoices import org_names
from tandem.figures import compute, facts
from tandem.figures.compute import KINDS, Filters
from tandem.kit import i18n
from tandem.kit.clock import local_day, today_local
from tandem.kit.errors import NotFound
from tandem.kit.i18n import N_
from tandem.placement.comparison_stats import Figure
from tandem.web import figure_chart, labels
from tandem.web.guards import PageActor
from tandem.web.render import render, request_locale

router = APIRouter(include_in_schema=False)

K = OrgKind
ROLE_OF = {
    K.BROKER: "broker",
    K.ADJUSTER_FIRM: "firm",
    K.INSURER: "insurer",
    K.SUPERVISION: "supervision",
    K.INSURED: "insured",
}
#: Readers outside the broker see no figure computed from fewer than 5 insureds (their own claims excepted
#: for an insured: every row it reads is its own).
OPEN_READERS = frozenset({K.BROKER, K.PLATFORM, K.INSURED})
_TURNAROUND = compute.TURNAROUND
_FEES = compute.FEE_FIGURES
#: The figures each role's page shows (table columns) and charts, in order.
COLUMNS: dict[str, tuple[str, ...]] = {
    "broker": compute.METRICS,
    "firm": ("claims", *_TURNAROUND[:4], "sla_steps", "sla", "held_adjuster_firm", *_FEES),
    "insurer": (*compute.CLAIM_FIGURES, *_TURNAROUND[4:], "sla_steps", "sla", "held_insurer", *_FEES),
    "supervision": (
        "claims",
        "delegation",
        "supply",
        *_TURNAROUND,
        "sla_steps",
        "sla",
        *(f"held_{h}" for h in compute.HOLDERS),
        "fees_overdue",
        "days_to_pay",
    ),
    "insured": ("claims", *_TURNAROUND),
}
CHARTS: dict[str, tuple[str, ...]] = {
    "broker": ("delegation", "supply", "notice_report_p50", "fees_overdue"),
    "firm": ("claims", "notice_report_p50", "fees_billed", "fees_overdue"),
    "insurer": ("delegation", "supply", "agreement_payment_p50", "fees_overdue"),
    "supervision": ("supply", "delegation", "notice_report_p50", "sla"),
    "insured": ("notice_report_p50", "agreement_payment_p50"),
}
TITLES = {
    "broker": N_("Dashboard: the broker's book"),
    "firm": N_("Dashboard: our work, fees and receivables"),
    "insurer": N_("Dashboard: our claims, delegation and payables"),
    "supervision": N_("Dashboard: the market"),
    "insured": N_("Dashboard: our claims' turnaround"),
}
MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
#: What a bad filter says beside its field: a month not written YYYY-MM, a value not among the choices.
FILTER_ERRORS = {"month": N_("Enter a month such as 2026-03."), "choice": N_("Choose one of the listed values.")}
#: A figure hidden for too few insureds, on the page and in the exports alike; a row without a firm.
NOT_ENOUGH, NO_FIRM = N_("Not enough data"), N_("No adjuster")


@dataclass(frozen=True)
class Cell:
    kind: str  # count | money | percent | days
    figure: Figure

    @property
    def hidden(self) -> bool:
        return not self.figure.shown

    @property
    def value(self) -> Any:
        return self.figure.value


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[Cell]


@dataclass
class View:
    role: str
    by: str
    values: dict[str, str]
    options: dict[str, list[tuple[str, str]]]
    columns: list[tuple[str, str]] = field(default_factory=list)  # code, translated header
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    charts: list[figure_chart.Chart] = field(default_factory=list)
    errors: dict[str, object] = field(default_factory=dict)
    private: bool = True
    default_from: str = ""  # the first of the last twelve months, shown when no month is asked for

    def filtered(self) -> bool:
        """Whether the reader changed anything from the default selection."""
        changed = {k: v for k, v in self.values.items() if v and not (k == "from" and v == self.default_from)}
        return bool(changed) or not self.values["from"]

    def tiles(self) -> list[tuple[str, str, Cell]]:
        """The first figures of the total, shown as tiles above the charts."""
        if self.total is None:
            return []
        return [(c, h, cell) for (c, h), cell in zip(self.columns, self.total.cells, strict=True)][:6]

    def query(self) -> str:
        """The filters as a query string (for the export links)."""
        return urlencode({k: v for k, v in self.values.items() if v})


def _role(actor: Actor, role: str) -> str:
    """The page's role: the reader's own; the platform opens any. Another role's page is a 404."""
    if role not in COLUMNS or (actor.org_kind != K.PLATFORM and ROLE_OF.get(actor.org_kind) != role):
        raise NotFound()
    return role


def _label(group: str, code: object, locale: str) -> str:
    return i18n.gettext(labels.label(group, code), locale)


def _options(rows: facts.Facts, names: dict[str, str], locale: str) -> dict[str, list[tuple[str, str]]]:
    dims = rows.dims()
    lines = sorted({d.line for d in dims})
    regions = sorted({d.region for d in dims if d.region})
    insurers = sorted({str(d.insurer) for d in dims}, key=lambda i: names.get(i, i))
    firms = sorted({str(d.firm) for d in dims if d.firm}, key=lambda i: names.get(i, i))
    return {
        "line": [(v, _label("line", v, locale)) for v in lines],
        "region": [(v, _label("province", v, locale)) for v in regions],
        "insurer": [(v, names.get(v, v)) for v in insurers],
        "firm": [(v, names.get(v, v)) for v in firms],
        "by": [(d, _label("figure_dimension", d, locale)) for d in facts.DIMENSIONS],
    }


def _selection(values: dict[str, str], options: dict[str, list[tuple[str, str]]], errors: dict[str, object]) -> Filters:
    for name in ("from", "to"):
        if values[name] and not MONTH.fullmatch(values[name]):
            errors[name] = FILTER_ERRORS["month"]
    for name in ("insurer", "firm"):
        if values[name] and values[name] not in {v for v, _ in options[name]}:
            raise NotFound()  # an organisation the reader has no row of: the same as none
    for name in ("line", "region", "by"):
        if values[name] and values[name] not in {v for v, _ in options[name]}:
            errors[name] = FILTER_ERRORS["choice"]
    if errors:
        return Filters()
    return Filters(
        values["from"] or None,
        values["to"] or None,
        values["line"] or None,
        values["region"] or None,
        uuid.UUID(values["insurer"]) if values["insurer"] else None,
        uuid.UUID(values["firm"]) if values["firm"] else None,
    )


def _key_label(by: str, key: Any, names: dict[str, str], locale: str) -> str:
    if by in ("insurer", "firm"):
        return names.get(str(key), "") if key is not None else i18n.gettext(NO_FIRM, locale)
    if by in ("line", "region"):
        return _label("line" if by == "line" else "province", key, locale) if key else "—"
    return str(key)


def year_back(now: dt.datetime) -> str:
    """The month eleven months before ``now``'s (Asia/Shanghai): with it, twelve months."""
    day = local_day(now)
    index = day.year * 12 + day.month - 1 - 11
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def build(session: SessionDep, actor: Actor, role: str, raw: dict[str, str], now: dt.datetime, locale: str) -> View:
    """The page's content: filters checked against the reader's own rows, the table and the charts."""
    rows = facts.read(session, actor, now)
    ids = {str(d.insurer) for d in rows.dims()} | {str(d.firm) for d in rows.dims() if d.firm}
    names = org_names(session, [uuid.UUID(i) for i in ids])
    options = _options(rows, names, locale)
    values = {k: raw.get(k, "").strip() for k in ("from", "to", "line", "region", "insurer", "firm", "by")}
    default_from = year_back(now)
    if "from" not in raw:  # by default the last twelve months, this one included
        values["from"] = default_from
    view = View(role, values["by"] or "period", values, options, private=actor.org_kind not in OPEN_READERS)
    view.default_from = default_from
    selection = _selection(values, options, view.errors)
    if view.errors:
        view.by = "period"
    codes = COLUMNS[role]
    view.columns = [(c, _label("market_figure", c, locale)) for c in codes]
    table = compute.table(rows, selection, view.by, private=view.private)
    view.rows = [
        Row(_key_label(view.by, g.key, names, locale), [Cell(KINDS[c], g.figures[c]) for c in codes])
        for g in table.groups
    ]
    view.total = Row(i18n.gettext(N_("All"), locale), [Cell(KINDS[c], table.total.figures[c]) for c in codes])
    months = table if view.by == "period" else compute.table(rows, selection, "period", private=view.private)
    view.charts = [
        figure_chart.chart(c, [(str(g.key), g.figures[c].value if g.figures[c].shown else None) for g in months.groups])
        for c in CHARTS[role]
    ]
    return view


def _raw(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


@router.get("/dashboard")
def dashboard_home(actor: PageActor) -> Response:
    role = ROLE_OF.get(actor.org_kind, "supervision" if actor.org_kind == K.PLATFORM else None)
    if role is None:
        raise NotFound()
    return RedirectResponse(f"/dashboard/{role}", 303)


@router.get("/dashboard/{role}")
def dashboard(role: str, request: Request, actor: PageActor, session: SessionDep, clock: ClockDep) -> Response:
    role = _role(actor, role)
    locale = request_locale(request, actor)
    view = build(session, actor, role, _raw(request), clock.now(), locale)
    one_place = {c for c, k in KINDS.items() if k in ("percent", "days")}
    ctx = {"view": view, "title": TITLES[role], "one_place": one_place}
    return render(request, "dashboards/dashboard.html", ctx, status=422 if view.errors else 200)


# ---- exports: exactly the table shown ---------------------------------------------------------------


def plain(cell: Cell, locale: str) -> Any:
    """A cell as exported: the number the page shows (count, amount, %, days), the page's "not enough
    data" where it is hidden, empty where there is nothing to measure."""
    if cell.hidden:
        return i18n.gettext(NOT_ENOUGH, locale)
    return "" if cell.value is None else cell.value


def table_rows(view: View, locale: str) -> list[list[Any]]:
    """Header, the groups and the total, as the page's table."""
    head = [_label("figure_dimension", view.by, locale), *(h for _c, h in view.columns)]
    body = [[r.label, *(plain(c, locale) for c in r.cells)] for r in view.rows]
    total = [] if view.total is None else [[view.total.label, *(plain(c, locale) for c in view.total.cells)]]
    return [head, *body, *total]


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([format(v, "f") if isinstance(v, Decimal) else v for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")  # the BOM: Excel opens UTF-8 CSV as such


def _xlsx(rows: list[list[Any]], kinds: list[str]) -> bytes:
    """One sheet; numbers as numbers with the page's decimals (an XLSX cell holds a double)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet()
    formats = {
        "count": book.add_format({"num_format": "0"}),
        "money": book.add_format({"num_format": "#,##0.00"}),
        "percent": book.add_format({"num_format": "0.0"}),
        "days": book.add_format({"num_format": "0.0"}),
    }
    bold = book.add_format({"bold": True})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if r == 0:
                sheet.write_string(r, c, str(value), bold)
            elif c > 0 and isinstance(value, Decimal | int):
                sheet.write_number(r, c, float(value), formats[kinds[c - 1]])
            else:
                sheet.write_string(r, c, str(value))
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(rows[0]), 14)
    book.close()
    return out.getvalue()


@router.get("/dashboard/{role}/export.{fmt}")
def export(
    role: str,
    fmt: str,
    request: Request,
    actor: PageActor,
    session: SessionDep,
    clock: ClockDep,
) -> Response:
    role = _role(actor, role)
    if fmt not in ("csv", "xlsx"):
        raise NotFound()
    locale = request_locale(request, actor)
    view = build(session, actor, role, _raw(request), clock.now(), locale)
    if view.errors:
        return dashboard(role, request, actor, session, clock)
    rows = table_rows(view, locale)
    name = f"dashboard-{role}-{today_local(clock).isoformat()}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(_csv(rows), media_type="text/csv; charset=utf-8", headers=headers)
    kinds = [KINDS[c] for c, _h in view.columns]
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(_xlsx(rows, kinds), media_type=media, headers=headers)
