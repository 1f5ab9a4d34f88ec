"""The study end to end: trials, constraints, records, fronts, export; bad input through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import optuna
import pytest
from search_helpers import SPACE, TINY_SEARCH, cli, needs_core

from tinyops.search._demo import DEMO_SPACE
from tinyops.search._design_spaces import STRATEGIES, Limits
from tinyops.search._records import load_trials
from tinyops.search._results import Candidate, fronts, pareto_front, plot_fronts
from tinyops.search._space import SearchSpace
from tinyops.search._study import NoFeasibleArchitecture, SearchConfig, open_study, run_search, storage_url
from tinyops.search._train import TrainConfig


def _tiny_config(tmp_path: Path, tree: Path, **kw) -> SearchConfig:  # type: ignore[no-untyped-def]
    base = dict(
        trials=4,
        storage=str(tmp_path / "s.db"),
        data_dir=tree,
        seed=3,
        design_space=SPACE,
        space=SearchSpace(width_mults=(0.25,), resolutions=(32,), depths=(1, 2)),
        short=TrainConfig(steps=6, batch_size=16, train_images=96, val_images=32, eval_every=3),
    )
    base.update(kw)
    return SearchConfig(**base)


@needs_core
def test_search_records_every_trial_and_its_predictions(tmp_path: Path, tiny_tree: Path) -> None:
    summary = run_search(_tiny_config(tmp_path, tiny_tree))
    assert summary.finished == 4 and summary.failed == 0
    study, store = open_study(_tiny_config(tmp_path, tiny_tree), create=False)
    rows = load_trials(store, study.study_name)
    assert sorted(r.trial_number for r in rows) == [t.number for t in study.trials]
    space = SearchSpace(width_mults=(0.25,), resolutions=(32,), depths=(1, 2), num_classes=3)
    for row, trial in zip(rows, study.trials):
        assert row.arch == json.loads(json.dumps(space.arch_from_params(trial.params)))
        assert {"internal", "external"} <= {p.strategy for p in row.predictions} <= set(STRATEGIES)
        assert set(trial.constraints) == {f"fits_{SPACE}"}
        if trial.state == optuna.trial.TrialState.COMPLETE and trial.user_attrs["feasible"]:
            fidelities = {a.fidelity for a in row.accuracies}
            assert {"proxy-naswot", "short"} <= fidelities
            assert trial.values[1] == next(p.latency_ms for p in row.predictions if p.strategy == SPACE)
    per_space = fronts(rows)
    assert {"internal", "external"} <= set(per_space) <= set(STRATEGIES)
    assert plot_fronts(per_space, tmp_path / "fronts.png", title="t").stat().st_size > 1000


@needs_core
def test_same_seed_same_study(tmp_path: Path, tiny_tree: Path) -> None:
    a = _tiny_config(tmp_path / "a", tiny_tree, trials=3)
    b = _tiny_config(tmp_path / "b", tiny_tree, trials=3)
    for c in (a, b):
        Path(c.storage).parent.mkdir()
        run_search(c)
    ta, tb = (open_study(c, create=False)[0].trials for c in (a, b))
    assert [t.params for t in ta] == [t.params for t in tb]
    assert [t.values for t in ta] == [t.values for t in tb]


@needs_core
def test_impossible_constraints_name_the_infeasible_count(tmp_path: Path, tiny_tree: Path) -> None:
    config = _tiny_config(tmp_path, tiny_tree, trials=5, limits=Limits(max_latency_ms=1e-3))
    expected = r"5 of 5 samples infeasible \(5x latency N ms over the limit of N ms \(e\.g\. latency "
    with pytest.raises(NoFeasibleArchitecture, match=expected):
        run_search(config)
    result = cli(
        [
            "search",
            "--trials",
            "3",
            "--data",
            str(tiny_tree),
            "--max-latency-ms",
            "0.001",
            "--storage",
            "c.db",
            *TINY_SEARCH,
        ],
        tmp_path,
    )
    assert result.returncode == 2
    assert f"no feasible architecture in design space '{SPACE}'" in result.stderr
    assert "3 of 3 samples infeasible" in result.stderr


@needs_core
def test_study_with_other_settings_is_refused(tmp_path: Path, tiny_tree: Path) -> None:
    run_search(_tiny_config(tmp_path, tiny_tree, trials=1))
    with pytest.raises(ValueError, match=r"exists with other settings \(space\)"):
        run_search(_tiny_config(tmp_path, tiny_tree, trials=2, space=DEMO_SPACE))


@needs_core
@pytest.mark.parametrize(
    "args, message",
    [
        (["--board", "no-such-board"], "no-such-board"),
        (["--storage", "postgresql://nobody@127.0.0.1:1/none"], "cannot be reached"),
        (["--space", "everything"], "unknown design space 'everything'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path, tiny_tree: Path, args: list[str], message: str
) -> None:
    result = cli(["search", "--trials", "2", "--data", str(tiny_tree), *TINY_SEARCH, *args], tmp_path)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no artifacts


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing", "dataset directory not found"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no class directories"),
    ],
)
def test_bad_dataset_is_one_line_and_writes_nothing(tmp_path: Path, make, message: str) -> None:  # type: ignore[no-untyped-def]
    work = tmp_path / "work"
    work.mkdir()
    data = make(tmp_path)
    result = cli(["search", "--trials", "2", "--data", str(data), *TINY_SEARCH], work)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr
    assert list(work.iterdir()) == []


def test_results_without_storage_is_one_line(tmp_path: Path) -> None:
    result = cli(["results", "--storage", "nothing.db"], tmp_path)
    assert result.returncode == 2 and "no search storage here" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_storage_urls() -> None:
    assert storage_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert storage_url("sqlite:///x.db") == "sqlite:///x.db"
    assert storage_url("x.db").startswith("sqlite:////")
    with pytest.raises(ValueError, match="does not exist"):
        storage_url("/no/such/dir/x.db")


def test_pareto_front_keeps_only_non_dominated() -> None:
    def c(n: int, acc: float, ms: float) -> Candidate:
        return Candidate(n, n, "tinyops", acc, "short", ms, None, 0, 0, "")

    points = [c(0, 0.8, 10), c(1, 0.7, 5), c(2, 0.7, 12), c(3, 0.9, 30), c(4, 0.8, 10)]
    assert [p.trial_number for p in pareto_front(points)] == [1, 0, 4, 3]


@needs_core
@pytest.mark.skipif(
    not __import__("tinyops.compiler").compiler.host_runtime_available(),
    reason="this build of tinyops._core has no firmware runtime",
)
def test_export_records_the_host_runtimes_accuracy_of_the_written_blob(tmp_path: Path, tiny_tree: Path) -> None:
    """The recorded int8 accuracy is the host runtime's on the exported blob file (what would be flashed)."""
    import numpy as np

    from tinyops.compiler import HostRuntime
    from tinyops.search._data import load_data
    from tinyops.search._export import export_trial
    from tinyops.search._handoff import int8_logits, top1

    config = _tiny_config(
        tmp_path,
        tiny_tree,
        trials=2,  # mbv3: hard-swish convs in the blob too
        space=SearchSpace(families=("mbv3",), width_mults=(0.25,), resolutions=(32,), depths=(1,)),
    )
    run_search(config)
    study, store = open_study(config, create=False)
    trial = next(t for t in study.trials if t.user_attrs.get("feasible"))
    full = TrainConfig(steps=8, batch_size=16, train_images=None, val_images=None, eval_every=100)
    data = load_data(tiny_tree, image_size=32)
    result = export_trial(study, store, trial.number, tmp_path / "export", data=data, full=full, calibration_batches=2)
    assert {"arch", "checkpoint", "int8", "blob", "plan", "report"} <= set(result.files)
    assert result.files["blob"].name.endswith(f".{SPACE}.blob")
    row = next(r for r in load_trials(store, study.study_name) if r.trial_number == trial.number)
    recorded = next(a for a in row.accuracies if a.fidelity == "int8")
    assert (
        recorded.method.startswith(f"host runtime on the {SPACE} blob for ") and "all 18 val images" in recorded.method
    )
    assert {e.kind for e in row.exports} >= {"blob", "plan", "report"}
    # Re-measure from the files alone: the blob on disk through the host runtime, the handoff for the input scale.
    from tinyops.compiler import load_model

    quantized = load_model(result.files["int8"])
    runtime = HostRuntime(result.files["blob"].read_bytes())
    logits, labels = int8_logits(runtime.run, quantized, data.val, 32, 3)
    assert recorded.value == result.int8_accuracy == top1(logits, labels)
    assert np.array_equal(labels, data.val.labels.numpy())


@needs_core
def test_shared_accuracies_train_each_architecture_once_and_reproduce_retraining(
    tmp_path: Path, tiny_tree: Path
) -> None:
    import torch

    from tinyops.search._study import Objective, prepare

    torch.set_num_threads(1)  # as run_search does: OpenMP threads crawl on an oversubscribed machine

    def study_trials(name: str, accuracies: dict[str, float]) -> list[optuna.trial.FrozenTrial]:
        config = _tiny_config(tmp_path, tiny_tree, trials=3, study_name=name, prune=False)
        study, store = open_study(config)
        scorer, data = prepare(config)
        study.optimize(Objective(config, store, scorer, data, "cpu", accuracies=accuracies), n_trials=3)
        return study.trials

    shared: dict[str, float] = {}
    first = study_trials("first", shared)
    trained = len(shared)
    again = study_trials("again", shared)  # same seed: the same architectures, none trained twice
    fresh = study_trials("fresh", {})  # trained from scratch: what reuse stands in for
    assert trained >= 1 and len(shared) == trained
    assert all(t.user_attrs.get("accuracy_reused") for t in again if t.user_attrs["feasible"])
    assert [t.values for t in again] == [t.values for t in first] == [t.values for t in fresh]
