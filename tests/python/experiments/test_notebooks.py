"""Every experiment in quick mode, then its notebook executed with nbclient: each must leave its figures (PNG)
and tables (Markdown) in OUT/<experiment>/figures/, read back from the results store the script wrote.
Also: the notebooks are committed without outputs."""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "experiments"))

import run_all  # noqa: E402

# What each notebook must draw (figures/<name>.png) and tabulate (figures/<name>.md).
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "design_spaces": (
        {"fronts_macs_latency", "speedup_vs_internal", "accuracy_latency"},
        {"boards", "largest", "largest_memory", "why_not", "speedup_summary", "same_network", "equal_accuracy"},
    ),
    "memory_sweep": ({"sweep_heatmaps", "sweep_speedup_by_sram"}, {"sweep_summary", "board_base"}),
    "search_spaces": ({"search_fronts", "hypervolume"}, {"hypervolume", "fronts"}),
    "predicted_vs_measured": ({"predicted_vs_measured"}, {"per_strategy"}),
}


def _requirements(name: str) -> None:
    """Skip (saying why) an experiment whose inputs this machine lacks."""
    if name == "search_spaces":
        pytest.importorskip("torch")
        from tinyops.search._data import FASHION_MNIST_DIR

        if not FASHION_MNIST_DIR.is_dir():
            pytest.skip(f"{FASHION_MNIST_DIR} absent (Debian dataset-fashion-mnist)")
    if name == "predicted_vs_measured":
        import predicted_vs_measured

        missing = predicted_vs_measured.missing_inputs()
        if missing:
            pytest.skip(missing)


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("experiments-out")


@pytest.mark.parametrize("name", list(run_all.EXPERIMENTS))
def test_quick_experiment_and_its_notebook_produce_figures_and_tables(name: str, out_dir: Path) -> None:
    if name not in EXPECTED:
        pytest.fail(f"{name}: no expected figures listed in this test")
    _requirements(name)
    run_all.run_script(name, quick=True, out=out_dir)
    executed = run_all.execute_notebook(name, out_dir)
    figures = out_dir / name / "figures"
    pngs, tables = EXPECTED[name]
    for png in pngs:
        path = figures / f"{png}.png"
        assert path.is_file(), f"{name}: notebook did not draw {path.name}"
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000, path
    for table in tables:
        text = (figures / f"{table}.md").read_text()
        assert text.startswith("| ") and text.count("\n") >= 3, f"{name}: table {table} is empty"
    nb = nbformat.read(executed, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors
    assert list((out_dir / name).glob("*.csv")), f"{name}: no CSV table beside the figures"


def test_notebooks_are_committed_without_outputs() -> None:
    paths = sorted((REPO / "notebooks").glob("*.ipynb"))
    assert {p.name for p in paths} == set(run_all.EXPERIMENTS.values())
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: committed with outputs"


def test_a_notebook_without_results_says_which_script_to_run(tmp_path: Path) -> None:
    import _common

    with pytest.raises(FileNotFoundError, match="run experiments/design_spaces.py first"):
        _common.load_tables("design_spaces", tmp_path)
