"""Command line access to the premium engine (保费计算): ``tandem calc premium FILE|-``.

The root CLI registers :func:`premium_command` in the ``calc`` group beside ``calc payable``, with the
same conventions: a JSON input document (a path, or ``-`` for standard input) in, the output document
on standard output and exit 0; any bad input (unreadable file, text that is not JSON, a document the
contract rejects) prints exactly one line ``error: <path>: <message>`` on standard error, nothing on
standard output, and exits with status 2; no traceback is ever shown.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from tandem.premium.engine import PremiumInputError, loads_json, price_document
from tandem.settlement.cli import EXIT_BAD_INPUT, _one_line, _read_source, _write_stdout

__all__ = ["premium_command", "run_premium"]


def run_premium(file: str) -> tuple[int, str]:
    """Run the engine on ``file`` (a path or ``-``): ``(0, output JSON)`` or ``(2, error line)``."""
    try:
        raw = _read_source(file)
    except OSError as exc:
        return EXIT_BAD_INPUT, _one_line(f"error: cannot read {file}: {exc.strerror or type(exc).__name__}")
    try:
        text = json.dumps(price_document(loads_json(raw)), ensure_ascii=False, indent=2)
    except PremiumInputError as exc:
        return EXIT_BAD_INPUT, _one_line(f"error: {exc}")
    except (ArithmeticError, ValueError, TypeError, RecursionError, MemoryError) as exc:  # never a traceback
        return EXIT_BAD_INPUT, _one_line(f"error: cannot compute this input: {type(exc).__name__}: {exc}")
    return 0, text


def premium_command(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Input JSON document, or - for stdin.")],
) -> None:
    """Premium, risk-point effects and refunds (保费计算): JSON in, JSON out (docs: premium.md)."""
    code, text = run_premium(file)
    if code != 0:
        typer.echo(text, err=True)
        raise typer.Exit(code=code)
    _write_stdout(text)
