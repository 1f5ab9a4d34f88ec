"""Engine, session and schema creation for the results store (SQLAlchemy, as Optuna's RDB storage uses)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import platformdirs
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
            raise RuntimeError(
                f"results store: the tables registered as '{entry.name}' ({entry.value}) cannot be imported: {exc}"
            ) from exc
        names.append(entry.name)
    return names


def default_store_path() -> Path:
    """Where the store lives unless a URL is given: the user data directory, not the current one
    ($XDG_DATA_HOME/tinyops/tinyops.db, by default ~/.local/share/tinyops/tinyops.db on Linux)."""
    return Path(platformdirs.user_data_dir("tinyops", appauthor=False)) / "tinyops.db"


def default_url(path: str | Path | None = None) -> str:
    """The SQLite URL of `path` (default: `default_store_path()`)."""
    return f"sqlite:///{Path(path if path is not None else default_store_path()).expanduser().resolve()}"


def store_url(url_or_path: str | Path | None) -> str:
    """A database URL as given, a path to a SQLite file as its URL, or None as the default store's URL."""
    if url_or_path is None or str(url_or_path) == "":
        return default_url()
    text = str(url_or_path)
    return text if "://" in text else default_url(text)


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


def _sqlite_file(url: sa.engine.URL) -> Path | None:
    return (
        Path(url.database)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        else None
    )


def open_store(url: str | Path | None = None) -> Store:
    """Open (and create the missing tables of) the store at `url`: a database URL or a SQLite file path;
    default: `default_store_path()` (its directory is created).

    Raises ValueError naming the store when the URL is not a database URL, the database cannot be reached,
    or the file is not a database.
    """
    url = store_url(url)
    try:
        parsed = sa.engine.make_url(url)
        sqlite_file = _sqlite_file(parsed)
        engine = sa.create_engine(parsed, pool_pre_ping=True)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise ValueError(
            f"store '{url}': not a database URL this installation can open (expected "
            f"sqlite:///PATH, a file path or postgresql://...; {exc})"
        ) from None
    if sqlite_file is not None:
        if url == default_url():
            sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        if not sqlite_file.parent.is_dir():
            raise ValueError(f"store {sqlite_file}: directory {sqlite_file.parent} does not exist")
        if sqlite_file.is_dir():
            raise ValueError(f"store {sqlite_file}: is a directory, not a SQLite file")
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    load_registered_tables()
    shown = engine.url.render_as_string(hide_password=True)
    try:
        Base.metadata.create_all(engine)
    except sa.exc.OperationalError as exc:
        raise ValueError(f"storage {shown}: cannot be reached ({str(exc.orig).strip().splitlines()[0]})") from None
    except sa.exc.DatabaseError as exc:  # e.g. SQLite's "file is not a database"
        raise ValueError(f"store {shown}: not a results store ({str(exc.orig).strip().splitlines()[0]})") from None
    return Store(engine)
