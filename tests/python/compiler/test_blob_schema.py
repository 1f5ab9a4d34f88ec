"""The committed blob readers/writers are what flatc generates from firmware/schema/blob.fbs today: the
schema is the one source of the blob format (firmware/BLOB_FORMAT.md, "Generated code")."""

from __future__ import annotations

import filecmp
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
GENERATED = ["firmware/include/tinyops/rt/blob_generated.h", "tinyops/compiler/_blob_fb"]


def test_regenerating_from_the_schema_gives_the_committed_files(tmp_path: Path) -> None:
    assert shutil.which("flatc"), "flatc not found: scripts/setup.sh installs Debian's flatbuffers-compiler"
    subprocess.run([str(ROOT / "firmware/schema/generate.sh"), str(tmp_path)], check=True)
    header = GENERATED[0]
    assert filecmp.cmp(ROOT / header, tmp_path / header, shallow=False), f"{header} is stale: run generate.sh"
    committed = sorted(p.name for p in (ROOT / GENERATED[1]).glob("*.py"))
    fresh = sorted(p.name for p in (tmp_path / GENERATED[1]).glob("*.py"))
    assert committed == fresh
    stale = [n for n in fresh if not filecmp.cmp(ROOT / GENERATED[1] / n, tmp_path / GENERATED[1] / n, shallow=False)]
    assert not stale, f"stale generated modules {stale}: run firmware/schema/generate.sh"
