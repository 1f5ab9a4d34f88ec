"""The results store owns its tables: its clients register them (entry points), the store imports none of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from tinyops.store import TABLES_ENTRY_POINTS, load_registered_tables


def test_store_imports_none_of_its_clients() -> None:
    code = (
        "import sys, tinyops.store; "
        "print(sorted(m for m in sys.modules if m.startswith(('tinyops.hil', 'tinyops.search'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_clients_register_their_tables() -> None:
    assert TABLES_ENTRY_POINTS == "tinyops.store_tables"
    assert set(load_registered_tables()) >= {"hil", "search"}


def test_open_store_creates_every_registered_table(tmp_path: Path) -> None:
    # In a fresh interpreter, so that only the registration (not an earlier import) brings the tables in.
    url = f"sqlite:///{tmp_path / 'store.db'}"
    subprocess.run([sys.executable, "-c", f"from tinyops.store import open_store; open_store({url!r})"], check=True)
    tables = set(sa.inspect(sa.create_engine(url)).get_table_names())
    assert {"tinyops_hil_runs", "tinyops_search_trial"} <= tables, tables
