"""Command line access to the fee engine (公估费): ``tandem calc fee FILE|-``.

Registered in the ``calc`` group beside ``calc payable`` and ``calc premium``, with their conventions:
a JSON input document (a path, or ``-`` for standard input) in, the output document on standard output
and exit 0; any bad input (unreadable file, text that is not JSON, a document docs/fees.md rejects,
an absurd number) prints exactly one line ``error: <path>: <message>`` on standard error, nothing on
standard output, and exits with status 2; no traceback is ever shown.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tandem.fees.engine import FeeInputError, fee_document, loads_json
from tandem.settlement.cli import EXIT_BAD_INPUT, _one_line, _read_source, _write_stdout

__all__ = ["fee_command", "run_fee"]


def run_fee(file: str) -> tuple[int, str]:
    """The engine on ``file`` (a path or ``-``): ``(0, output JSON)`` or ``(2, the error line)``."""
    problem: str
    try:
        return 0, json.dumps(fee_document(loads_json(_read_source(file))), ensure_ascii=False, indent=2)
    except OSError as exc:
        problem = f"cannot read {file}: {exc.strerror or type(exc).__name__}"
    except FeeInputError as exc:
        problem = str(exc)
    return EXIT_BAD_INPUT, _one_line(f"error: {problem}")


def fee_command(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Input JSON document, or - for stdin.")],
) -> None:
    """An adjuster's fee, expenses, VAT, total and due date, step by step (JSON in, JSON out; docs/fees.md)."""
    code, text = run_fee(file)
    if code != 0:
        typer.echo(text, err=True)
        raise typer.Exit(code=code)
    _write_stdout(text)
