"""The results store: the project's own tables beside Optuna's, in one SQLite file or one PostgreSQL database.

Each area defines its tables in its own module on the shared declarative `Base` and registers that module
with the store as an entry point of the group `tinyops.store_tables` (pyproject.toml); `open_store(url)` imports
the registered modules and creates whatever is missing. The store imports none of its clients. Every write is one committed transaction, so a killed process loses nothing committed.
"""

from tinyops.store._db import (
    TABLES_ENTRY_POINTS,
    Base,
    Store,
    default_store_path,
    default_url,
    load_registered_tables,
    open_store,
    store_url,
)

__all__ = [
    "TABLES_ENTRY_POINTS",
    "Base",
    "Store",
    "default_store_path",
    "default_url",
    "load_registered_tables",
    "open_store",
    "store_url",
]
