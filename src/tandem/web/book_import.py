"""The broker's book import (issue 19 item 2) as pages: upload a CSV or XLSX, see the preview — what
would be created, what is already there, and every refused line with its column — then confirm. The
preview runs the very import and rolls it back; the confirmation checks the same bytes again and keeps
them only when nothing is refused (one transaction)."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData, UploadFile

from tandem.access.actor import Actor
from tandem.access.models import OrgKind
from tandem.access.permissions import Perm
from tandem.deps import ClockDep, SessionDep, SettingsDep
from tandem.kit import sheets
from tandem.kit.errors import ActionNotAllowed
from tandem.kit.i18n import N_
from tandem.policy import book
from tandem.web.claims import CHOOSE_FILE
from tandem.web.guards import CheckedActor, PageActor
from tandem.web.labels import Message
from tandem.web.render import render

router = APIRouter(include_in_schema=False)

MAX_BOOK = 2 * 1024 * 1024
TOO_LARGE = N_("The file is larger than 2 MB.")
REFUSED = N_("Nothing was imported: {n} refused. Correct them and upload the whole file again.")
READY = N_("The file is good. Check what it will create, then confirm the import.")
IMPORTED = N_("The book was imported.")
KIND_LABELS = {
    "firm": N_("Adjuster firms"),
    "adjuster": N_("Practitioners"),
    "insured": N_("Insureds"),
    "policy": N_("Policies"),
    "section": N_("Sections"),
}


async def book_form(request: Request) -> FormData:
    return await request.form(max_part_size=3 * MAX_BOOK)


BookForm = Annotated[FormData, Depends(book_form)]


def may_import(actor: Actor) -> bool:
    return actor.org_kind == OrgKind.BROKER and actor.can(Perm.MANAGE_POLICIES) and actor.can(Perm.MANAGE_INSUREDS)


@dataclass
class BookView:
    outcome: book.Outcome | None = None
    field_error: object = None
    alert: object = None
    notice: object = None
    data: str = ""  # the checked file (base64), carried to the confirmation
    filename: str = ""
    done: bool = False
    kinds: tuple[str, ...] = field(default=book.KINDS)


def _page(request: Request, actor: Actor, view: BookView, status: int = 200) -> Response:
    if not may_import(actor):
        raise ActionNotAllowed()
    return render(
        request,
        "policies/import.html",
        {"view": view, "columns": book.COLUMNS, "kind_labels": KIND_LABELS},
        status=status,
    )


@router.get("/book/import")
def import_form(request: Request, actor: PageActor) -> Response:
    return _page(request, actor, BookView())


TEMPLATE_SHEETS = {"firm": "公估机构", "adjuster": "公估师", "insured": "被保险人", "policy": "保单", "section": "险别"}


@router.get("/book/import/template.xlsx")
def import_template(actor: PageActor) -> Response:
    """An empty book to fill in: a sheet per kind, headed by its columns (what the import reads)."""
    import io

    import xlsxwriter

    if not may_import(actor):
        raise ActionNotAllowed()
    buf = io.BytesIO()
    workbook = xlsxwriter.Workbook(buf, {"in_memory": True})
    bold = workbook.add_format({"bold": True})
    for kind, columns in book.COLUMNS.items():
        sheet = workbook.add_worksheet(TEMPLATE_SHEETS[kind])
        sheet.write_row(0, 0, columns, bold)
        sheet.set_column(0, len(columns) - 1, 18)
    workbook.close()
    return Response(
        buf.getvalue(),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": 'attachment; filename="book-template.xlsx"', "Cache-Control": "no-store"},
    )


def _run(
    request: Request,
    actor: Actor,
    session: Session,
    settings: SettingsDep,
    clock: ClockDep,
    view: BookView,
    raw: bytes,
    *,
    keep: bool,
) -> Response:
    try:
        rows = sheets.read_table(raw, view.filename)
    except sheets.SheetError as exc:
        view.field_error = str(exc)
        return _page(request, actor, view, 422)
    view.outcome = book.import_book(session, settings, actor, rows, at=clock.now())
    if view.outcome.errors or not keep:
        session.rollback()
    if view.outcome.errors:
        view.alert = Message(REFUSED, {"n": len(view.outcome.errors)})
        view.data = ""
        return _page(request, actor, view, 422)
    view.done = keep
    view.notice = IMPORTED if keep else READY
    view.data = "" if keep else base64.b64encode(raw).decode("ascii")
    return _page(request, actor, view)


def _upload(form: FormData, keep: bool) -> tuple[bytes, str, object]:
    """The file's bytes and name, or why there is none: an upload to preview, or the previewed bytes
    (base64) to confirm."""
    if keep:
        data, name = form.get("data"), form.get("filename")
        try:
            raw = base64.b64decode(data if isinstance(data, str) else "", validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        return raw, name[:200] if isinstance(name, str) else "", None if raw else CHOOSE_FILE
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return b"", "", CHOOSE_FILE
    return upload.file.read(MAX_BOOK + 1), upload.filename[:200], None


def _post(
    request: Request, actor: Actor, session: Session, settings: SettingsDep, clock: ClockDep, form: FormData, keep: bool
) -> Response:
    if not may_import(actor):
        raise ActionNotAllowed()
    raw, filename, problem = _upload(form, keep)
    view = BookView(filename=filename, field_error=problem)
    if problem is None and len(raw) > MAX_BOOK:
        view.field_error = TOO_LARGE
    if view.field_error is not None:
        return _page(request, actor, view, 422)
    return _run(request, actor, session, settings, clock, view, raw, keep=keep)


@router.post("/book/import")
def import_preview(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep, form: BookForm
) -> Response:
    """The preview: the whole import run and rolled back."""
    return _post(request, actor, session, settings, clock, form, keep=False)


@router.post("/book/import/confirm")
def import_confirm(
    request: Request, actor: CheckedActor, session: SessionDep, settings: SettingsDep, clock: ClockDep, form: BookForm
) -> Response:
    """The confirmation: the previewed file checked again and, when nothing is refused, kept."""
    return _post(request, actor, session, settings, clock, form, keep=True)
