"""What every command module shares: the one-line error and the session factory. It sits below
``tandem.cli`` so that the command modules of the domain packages (``expert.cli``, ``sla.cli``) can use
it without importing the entry point that mounts them."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from tandem.config import get_settings


class CliError(Exception):
    """A failure printed as one line on stderr; ``code`` is the exit status (2 = bad input)."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def session_factory() -> sessionmaker[Session]:
    from tandem.db import make_engine, make_session_factory

    return make_session_factory(make_engine(get_settings().database_url))
