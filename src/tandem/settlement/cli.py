"""Command line access to the claim amount engine (理算): ``tandem calc payable FILE|-``.

``calc_app`` is a Typer group; the root CLI mounts it as ``calc``. The command reads a JSON input
document (a path, or ``-`` for standard input), prints the output document to standard output and
exits 0. Any bad input (unreadable file, text that is not JSON, a document the contract rejects)
prints exactly one line ``error: <path>: <message>`` on standard error, nothing on standard output,
and exits with status 2; no traceback is ever shown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tandem.settlement.calculator import CalcInputError, compute, loads_json, parse_input, result_to_json

__all__ = ["EXIT_BAD_INPUT", "calc_app", "run_payable"]

#: Exit status for any input the engine rejects.
EXIT_BAD_INPUT = 2

calc_app = typer.Typer(
    name="calc",
    help="Claim calculations (理算).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@calc_app.callback()
def _calc_group() -> None:
    """Claim calculations (理算)."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _read_source(file: str) -> bytes | str:
    if file == "-":
        buffer = getattr(sys.stdin, "buffer", None)
        data: bytes | str = buffer.read() if buffer is not None else sys.stdin.read()
        return data
    return Path(file).read_bytes()


def _write_stdout(text: str) -> None:
    """Write UTF-8 whatever the locale says (the codes and descriptions may be Chinese)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    buffer.write(text.encode("utf-8") + b"\n")
    buffer.flush()


def run_payable(file: str) -> tuple[int, str]:
    """Run the engine on ``file`` (a path or ``-``): ``(0, output JSON)`` or ``(2, error line)``."""
    try:
        raw = _read_source(file)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return EXIT_BAD_INPUT, _one_line(f"error: cannot read {file}: {reason}")
    try:
        result = compute(parse_input(loads_json(raw)))
        text = json.dumps(result_to_json(result), ensure_ascii=False, indent=2)
    except CalcInputError as exc:
        return EXIT_BAD_INPUT, _one_line(f"error: {exc}")
    except (ArithmeticError, ValueError, TypeError, RecursionError) as exc:  # defensive: never a traceback
        return EXIT_BAD_INPUT, _one_line(f"error: cannot compute this input: {exc.__class__.__name__}: {exc}")
    return 0, text


@calc_app.command("payable")
def payable(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Input JSON document, or - for stdin.")],
) -> None:
    """Compute the amount payable on a property claim (JSON in, JSON out)."""
    code, text = run_payable(file)
    if code != 0:
        typer.echo(text, err=True)
        raise typer.Exit(code=code)
    _write_stdout(text)
