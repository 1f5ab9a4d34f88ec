#!/usr/bin/env python3
"""Run every experiment, then execute its notebook (nbclient) to draw the figures: what `make experiments` does.

    .venv/bin/python experiments/run_all.py [--quick] [--out experiments-out] [--only design_spaces ...]

Each experiment script writes its tables (store + CSV); its notebook, executed with
$TINYOPS_EXPERIMENTS_OUT pointing at the same folder, reads them back and writes the figures (PNG) and tables
(Markdown) into OUT/<experiment>/figures/ and the executed notebook into OUT/<experiment>/.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _common  # noqa: E402

# experiment script -> its notebook, in the order they run.
EXPERIMENTS: dict[str, str] = {
    "design_spaces": "01_design_spaces.ipynb",
    "memory_sweep": "02_memory_sweep.ipynb",
    "search_spaces": "03_search_spaces.ipynb",
    "predicted_vs_measured": "04_predicted_vs_measured.ipynb",
}
NOTEBOOKS = _common.REPO / "notebooks"


def run_script(name: str, quick: bool, out: Path) -> None:
    """The experiment in a subprocess of this interpreter (as a user would run it)."""
    cmd = [sys.executable, str(HERE / f"{name}.py"), "--out", str(out)] + (["--quick"] if quick else [])
    subprocess.run(cmd, check=True)


def execute_notebook(name: str, out: Path, timeout_s: int = 600) -> Path:
    """Execute notebooks/<notebook> against OUT with nbclient; returns the executed copy's path."""
    import nbformat
    from nbclient import NotebookClient

    path = NOTEBOOKS / EXPERIMENTS[name]
    nb = nbformat.read(path, as_version=4)
    previous = os.environ.get("TINYOPS_EXPERIMENTS_OUT")
    os.environ["TINYOPS_EXPERIMENTS_OUT"] = str(out)  # the kernel inherits this process's environment
    try:
        NotebookClient(
            nb, timeout=timeout_s, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}}
        ).execute()
    finally:
        if previous is None:
            os.environ.pop("TINYOPS_EXPERIMENTS_OUT", None)
        else:
            os.environ["TINYOPS_EXPERIMENTS_OUT"] = previous
    executed = out / name / path.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, executed)
    return executed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the CI size of every experiment")
    parser.add_argument("--out", type=Path, default=_common.out_dir_from_env())
    parser.add_argument("--only", nargs="*", choices=list(EXPERIMENTS), help="run only these experiments")
    parser.add_argument("--notebooks-only", action="store_true", help="redraw from the stored results")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for name in args.only or EXPERIMENTS:
        t0 = time.perf_counter()
        if not args.notebooks_only:
            run_script(name, args.quick, args.out.resolve())
        executed = execute_notebook(name, args.out.resolve())
        print(
            f"== {name}: {time.perf_counter() - t0:.0f} s; figures in {args.out / name / 'figures'}, "
            f"notebook {executed}",
            flush=True,
        )


if __name__ == "__main__":
    main()
