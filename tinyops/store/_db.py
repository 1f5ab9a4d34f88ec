"""Engine, session and schema creation for the results store (SQLAlchemy, as Optuna's RDB storage uses)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    """Declarative base of every project table; table names are prefixed `tinyops_` to sit beside Optuna's."""


def default_url(path: str | Path = "tinyops.db") -> str:
    return f"sqlite:///{Path(path).resolve()}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL: readers never block the writer, and a killed writer leaves every committed row in place.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """A connection to the results store. Use `session()` for one committed unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back on any error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def open_store(url: str | None = None) -> Store:
    """Open (and create the missing tables of) the store at `url`; default: ./tinyops.db.

    Raises ValueError with the URL when the database cannot be reached.
    """
    url = url or default_url()
    engine = sa.create_engine(url, pool_pre_ping=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    # Import the modules that define tables so that create_all sees them all.
    from tinyops.store import _tables  # noqa: F401

    try:
        Base.metadata.create_all(engine)
    except sa.exc.OperationalError as exc:
        raise ValueError(f"storage {engine.url.render_as_string(hide_password=True)}: cannot be reached "
                         f"({str(exc.orig).strip().splitlines()[0]})") from None
    return Store(engine)
