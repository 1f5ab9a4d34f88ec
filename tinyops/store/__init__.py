"""The results store: the project's own tables beside Optuna's, in one SQLite file or one PostgreSQL database.

Each area defines its tables in its own module on the shared declarative `Base`; `open_store(url)` creates
whatever is missing. Every write is one committed transaction, so a killed process loses nothing committed.
"""

from tinyops.store._db import Base, Store, default_store_path, default_url, open_store, store_url

__all__ = ["Base", "Store", "default_store_path", "default_url", "open_store", "store_url"]
