"""Book import API (issue 19 item 2): ``POST /api/v1/book/imports`` with a CSV or XLSX file, all rows or
none; ``dry_run`` checks and reports without writing. A refused file is a 422 whose ``fields`` name each
refusal as ``<sheet>[<line>].<column>`` (``csv`` for a CSV file)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from pydantic import BaseModel, Field

from tandem.deps import ActorDep, ClockDep, SessionDep, SettingsDep
from tandem.kit import sheets
from tandem.kit.errors import InvalidInput
from tandem.policy import book

router = APIRouter(prefix="/api/v1", tags=["policies"])
MAX_BOOK = 2 * 1024 * 1024
Upload = Annotated[UploadFile, File()]
DryRun = Annotated[bool, Query(description="check and report only; write nothing")]


class BookImportOut(BaseModel):
    dry_run: bool
    created: dict[str, list[str]] = Field(description="by kind (firm, adjuster, insured, policy, section)")
    existing: dict[str, list[str]] = Field(description="already on the platform, left unchanged")


@router.post(
    "/book/imports",
    response_model=BookImportOut,
    responses={403: {"description": "Not a broker's account manager"}},
)
def import_book(
    actor: ActorDep, session: SessionDep, settings: SettingsDep, clock: ClockDep, file: Upload, dry_run: DryRun = False
) -> BookImportOut:
    """Import the broker's book (firms, practitioners, insureds, policies with sections) from one CSV or
    XLSX file; nothing is written unless every row is accepted."""
    data = file.file.read(MAX_BOOK + 1)
    if len(data) > MAX_BOOK:
        raise InvalidInput("The file is too large.", fields={"file": "at most 2 MB"})
    try:
        rows = sheets.read_table(data, file.filename or "")
    except sheets.SheetError as exc:
        raise InvalidInput("The file cannot be read.", fields={"file": str(exc)}) from None
    outcome = book.import_book(session, settings, actor, rows, at=clock.now())
    if outcome.errors:
        fields = {f"{e.sheet or 'csv'}[{e.line}].{e.field}": str(e.message) for e in outcome.errors}
        raise InvalidInput("Nothing imported: {n} refused.", n=len(outcome.errors), fields=fields)
    if dry_run:
        session.rollback()
    return BookImportOut(dry_run=dry_run, created=outcome.created, existing=outcome.existing)
