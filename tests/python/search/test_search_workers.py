"""Several workers on one PostgreSQL study: nothing duplicated, nothing lost, a killed worker's trial retried."""

from __future__ import annotations

import functools
import os
import signal
import time
from pathlib import Path

import optuna
import pytest
import sqlalchemy as sa
from optuna.trial import TrialState
from search_helpers import TINY_SEARCH, needs_core, start_cli

from tinyops.search._records import SearchTrial, load_trials
from tinyops.search._study import storage_url
from tinyops.store import open_store

pytestmark = needs_core
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)


def _worker_args(study: str, url: str, tree: Path, trials: int, *extra: str) -> list[str]:
    return [
        "search",
        "--study",
        study,
        "--storage",
        url,
        "--trials",
        str(trials),
        "--data",
        str(tree),
        *TINY_SEARCH,
        *extra,
    ]


@functools.cache
def _storage(url: str) -> optuna.storages.RDBStorage:
    """One storage (one connection pool) per server: polling with a new storage each time leaks a pooled
    connection per poll until PostgreSQL refuses clients ("too many clients already") on a slow machine."""
    return optuna.storages.RDBStorage(storage_url(url))


def _load(url: str, study: str) -> optuna.Study:
    return optuna.load_study(study_name=study, storage=_storage(url))


def _check_records(url: str, study: optuna.Study) -> None:
    """One record per Optuna trial that sampled, and every finished feasible trial's accuracy recorded."""
    store = open_store(storage_url(url))
    rows = {r.optuna_trial_id: r for r in load_trials(store, study.study_name)}
    with store.session() as s:
        count = s.scalar(
            sa.select(sa.func.count()).select_from(SearchTrial).where(SearchTrial.study_name == study.study_name)
        )
    assert count == len(rows)  # no duplicated trial rows
    numbers = [t.number for t in study.trials]
    assert len(set(numbers)) == len(numbers)
    for t in study.trials:
        if t.state == TrialState.WAITING:
            continue
        assert t._trial_id in rows, f"trial {t.number} ({t.state.name}) has no record"
        if t.state == TrialState.COMPLETE and t.user_attrs["feasible"]:
            assert "short" in {a.fidelity for a in rows[t._trial_id].accuracies}


def test_two_workers_share_one_study(postgres_url: str, tiny_tree: Path, tmp_path: Path) -> None:
    workers = [start_cli(_worker_args("two", postgres_url, tiny_tree, 6, "--seed", "1"), tmp_path) for _ in range(2)]
    for w in workers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    study = _load(postgres_url, "two")
    finished = [t for t in study.trials if t.state in FINISHED]
    # MaxTrialsCallback stops each worker after the trial that reaches 6; the other may be finishing one.
    assert 6 <= len(finished) <= 7
    assert not [t for t in study.trials if t.state in (TrialState.RUNNING, TrialState.FAIL)]
    assert len({t.user_attrs["worker"] for t in study.trials}) == 2  # both workers ran trials
    _check_records(postgres_url, study)


def test_killed_worker_loses_nothing_and_its_trial_is_retried(
    postgres_url: str, tiny_tree: Path, tmp_path: Path
) -> None:
    args = _worker_args("kill", postgres_url, tiny_tree, 4, "--heartbeat-s", "1", "--steps", "40", "--no-prune")
    victim = start_cli(args, tmp_path)
    deadline = time.monotonic() + 300
    study = None
    while time.monotonic() < deadline:  # wait until a trial is done and the next one is training
        time.sleep(0.5)
        try:
            study = _load(postgres_url, "kill")
        except KeyError:
            continue
        trials = study.get_trials(deepcopy=False)
        if sum(t.state == TrialState.COMPLETE for t in trials) >= 1 and any(
            t.state == TrialState.RUNNING and "search_s" in t.user_attrs for t in trials
        ):
            break
    else:
        victim.kill()
        pytest.fail(f"worker never reached a second trial: {victim.communicate()[1][-2000:]}")
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    before = {t.number: (t.state, t.values, t.params) for t in _load(postgres_url, "kill").trials}
    killed = [n for n, (state, _, _) in before.items() if state == TrialState.RUNNING]
    assert len(killed) == 1
    time.sleep(3.5)  # past the grace period (3 heartbeats)
    survivor = start_cli(args, tmp_path)
    _, err = survivor.communicate(timeout=600)
    assert survivor.returncode == 0, err
    study = _load(postgres_url, "kill")
    after = {t.number: t for t in study.trials}
    for number, (state, values, params) in before.items():  # nothing recorded before the kill is lost
        if state in FINISHED:
            assert (after[number].state, after[number].values, after[number].params) == (state, values, params)
    assert after[killed[0]].state == TrialState.FAIL
    retries = [t for t in study.trials if t.system_attrs.get("failed_trial") == killed[0]]
    assert len(retries) == 1 and retries[0].state in FINISHED
    assert retries[0].params == before[killed[0]][2]
    assert len([t for t in study.trials if t.state in FINISHED]) == 4
    _check_records(postgres_url, study)
