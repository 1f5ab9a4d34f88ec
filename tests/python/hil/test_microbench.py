"""The calibration set: valid networks, every firmware kernel covered, features that vary independently within
each kernel kind (so that NNLS can tell the named terms apart), and a partition-factor sweep."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from tinyops import _core  # type: ignore[attr-defined]
from tinyops.compiler import PlanDoesNotFit, evaluate
from tinyops.hil._microbench import STRATEGIES, board_with_sram_budget, calibration_set
from tinyops.hil._pipeline import compile_model, load_board

BOARD = "qemu-mps2-an500"


def test_every_network_is_valid_and_named_uniquely() -> None:
    benchmarks = calibration_set()
    assert len({b.name for b in benchmarks}) == len(benchmarks)
    assert {b.strategy for b in benchmarks} == set(STRATEGIES)
    sample = benchmarks[0].model
    out = evaluate(sample, np.zeros((1, *sample.tensors[sample.input].shape), dtype=np.int8))
    assert out.shape[-1] == sample.tensors[sample.output].shape[2]


def test_features_of_each_kind_are_linearly_independent_and_parts_are_swept() -> None:
    board = load_board(BOARD)
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    factors: set[int] = set()
    for bench in calibration_set(strategies=("tinyops",)):
        planned_on = (
            board if bench.sram_budget_bytes is None else board_with_sram_budget(board, bench.sram_budget_bytes)
        )
        try:
            compiled = compile_model(bench.model, planned_on, bench.strategy)
        except PlanDoesNotFit:
            continue
        for kind, features in zip(compiled.kernel_kinds, compiled.op_features):
            if features:
                rows[kind].append(features)
        factors |= {op.factor for op in compiled.plan.ops}
    # Every kernel the firmware runs is measured, except the global pool (the compiler emits average pools) and
    # mul (squeeze-and-excite's: its kernel is not in blob v1 yet, so it cannot be measured).
    assert set(rows) == set(_core.kernel_kinds()) - {"global_average_pool", "mul"}
    for kind, samples in rows.items():
        # Terms whose feature is never non-zero for this kind's shapes stay at 0 in the fit; the others must
        # be separable: the feature matrix has full column rank.
        terms = [t for t in _core.kernel_terms(kind) if any(s.get(t, 0) for s in samples)]
        matrix = np.array([[s.get(t, 0.0) for t in terms] for s in samples])
        matrix /= np.maximum(np.abs(matrix).max(axis=0), 1e-12)
        assert np.linalg.matrix_rank(matrix, tol=1e-9) == len(terms), (kind, terms)
    assert max(factors) >= 5  # the sweep's smaller SRAM budgets give larger partition factors


def test_subset_and_bad_arguments() -> None:
    full = calibration_set()
    quick = calibration_set(every=4)
    assert len(quick) < len(full) / 3
    assert {b.case for b in quick} < {b.case for b in full}
    assert not any(b.sram_budget_bytes for b in calibration_set(partition_sweep=False))
    with pytest.raises(ValueError, match="strategies"):
        calibration_set(strategies=("optimal-ish",))
    with pytest.raises(ValueError, match="every"):
        calibration_set(every=0)
