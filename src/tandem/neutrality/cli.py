"""Command line access to the bias analytics: ``tandem neutrality bias FILE|-``.

``neutrality_app`` is a Typer group; the root CLI mounts it as ``neutrality``. The command reads one
JSON document (a path, or ``-`` for standard input), prints the output document on standard output
and exits 0. Any bad input (unreadable file, text that is not UTF-8 JSON, a document the contract
rejects) prints exactly one line ``error: <path>: <message>`` on standard error, nothing on standard
output, and exits with status 2; no traceback is ever shown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from tandem.neutrality.bias import BiasInputError, run

__all__ = ["EXIT_BAD_INPUT", "neutrality_app", "run_bias"]

EXIT_BAD_INPUT = 2

neutrality_app = typer.Typer(
    name="neutrality",
    help="Neutrality (相对中立): bias analytics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Characters str.splitlines() breaks on, besides "\n" and "\r": escaped so the error stays one line.
_LINE_BREAKS = dict.fromkeys(map(ord, "\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029"))


@neutrality_app.callback()
def _neutrality_group() -> None:
    """Neutrality (相对中立): bias analytics."""


def _error_line(message: str) -> str:
    """``error: …`` on one line, printable whatever the text held (lone surrogates, line breaks)."""
    escaped = "".join(f"\\u{ord(ch):04x}" if ord(ch) in _LINE_BREAKS else ch for ch in message)
    return "error: " + escaped.encode("utf-8", "backslashreplace").decode("utf-8")


def run_bias(file: str) -> tuple[int, str]:
    """Run the engine on ``file`` (a path, or ``-``): ``(0, output JSON)`` or ``(2, error line)``."""
    try:
        data = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        return EXIT_BAD_INPUT, _error_line(f"cannot read {file}: {exc.strerror or type(exc).__name__}")
    try:
        output = run(data)
    except BiasInputError as exc:
        return EXIT_BAD_INPUT, _error_line(str(exc))
    return 0, json.dumps(output, ensure_ascii=False, indent=2)


@neutrality_app.command("bias")
def bias(
    file: Annotated[str, typer.Argument(metavar="FILE", help="Input JSON document, or - for stdin.")],
) -> None:
    """Lean of each adjuster and firm toward its appointer, with its confidence bound (JSON in, JSON out)."""
    code, text = run_bias(file)
    if code != 0:
        typer.echo(text, err=True)
        raise typer.Exit(code=code)
    # UTF-8 whatever the locale says (names may be Chinese)
    sys.stdout.buffer.write(text.encode("utf-8") + b"\n")
    sys.stdout.buffer.flush()
