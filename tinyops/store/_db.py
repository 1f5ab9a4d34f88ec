"""Engine, session and schema creation for the results store (SQLAlchemy, as Optuna's RDB storage uses)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


# The entry-point group through which the store's clients register the modules that define their tables
# (pyproject.toml, [project.entry-points."tinyops.store_tables"]): the store imports none of its clients.
TABLES_ENTRY_POINTS = "tinyops.store_tables"


class Base(DeclarativeBase):
    """Declarative base of every project table; table names are prefixed `tinyops_` to sit beside Optuna's."""


def load_registered_tables() -> list[str]:
    """Import every module registered under TABLES_ENTRY_POINTS, so that `Base.metadata` holds their tables.

    Returns the registered names. A registered module that cannot be imported is an error naming it.
    """
    names = []
    for entry in metadata.entry_points(group=TABLES_ENTRY_POINTS):
        try:
            entry.load()
        except ImportError as exc:
            raise RuntimeError(f"results store: the tables registered as '{entry.name}' ({entry.value}) cannot "
                               f"be imported: {exc}") from exc
        names.append(entry.name)
    return names


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
    load_registered_tables()
    try:
        Base.metadata.create_all(engine)
    except sa.exc.OperationalError as exc:
        raise ValueError(f"storage {engine.url.render_as_string(hide_password=True)}: cannot be reached "
                         f"({str(exc.orig).strip().splitlines()[0]})") from None
    return Store(engine)
