"""``tandem reconcile A.json B.json``: align two reports on one subject (两份报告对齐).

Prints the alignment as JSON on stdout. Unusable input (missing or unreadable file, invalid JSON,
missing required field, negative amount …) exits with status 2 and a single ``error: FILE: FIELD:
message`` line on stderr, with nothing on stdout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tandem.reconciliation.align import (
    Report,
    ReportInputError,
    align,
    alignment_to_json,
    load_report_json,
)

__all__ = ["read_report", "reconcile_app", "reconcile_command"]

reconcile_app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Align the items of two reports on one subject.",
)


def read_report(path: Path) -> Report:
    """Read and validate one report file; errors name the file as given."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ReportInputError(source, "", f"cannot read file: {reason}") from None
    return load_report_json(data, source=source)


@reconcile_app.command()
def reconcile_command(
    a: Annotated[Path, typer.Argument(metavar="REPORT_A.json", help="Report A (JSON)", show_default=False)],
    b: Annotated[Path, typer.Argument(metavar="REPORT_B.json", help="Report B (JSON)", show_default=False)],
) -> None:
    """Pair the items of report A and report B one to one; print the alignment as JSON."""
    try:
        report_a = read_report(a)
        report_b = read_report(b)
    except ReportInputError as exc:
        message = " ".join(str(exc).split())
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(code=2) from None
    result = alignment_to_json(align(report_a, report_b))
    typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
