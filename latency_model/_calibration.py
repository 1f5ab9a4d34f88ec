"""Calibration: fit a board's kernel cost parameters to measured per-op counts, and say how well they predict.

The cost model (kernel_cost.hpp in the C++ core) has one kernel kind per kernel the firmware runs, chosen
as the firmware's dispatch chooses it, and is linear in named per-kind terms:

    cycles(op) = sum over the kind's terms of  value(term) x feature(term, op)

(cycles_per_call x parts, cycles_per_mac x MACs, cycles_per_output x outputs, cycles_per_output_row x rows, ...;
board.hpp documents every term), plus, on a board without a DMA engine (QEMU), the synchronous overlay copies
the op makes: `memcpy_cycles_per_byte x copied_bytes` (a CPU parameter shared by every kind). The features
come from the core (`_core.op_cost_features`), so the fit and the simulator count the same work. Costs are
non-negative, so the fit is non-negative least squares (Eigen, in the C++ core) on relative errors (each
row weighted by 1 / measured), which is what MAPE and the share within +-10% judge.

The held-out split is by benchmark case (a network and its shape, under every placement and partition
factor), drawn with a seed: no case has ops on both sides.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

COPY_TERM = "memcpy_cycles_per_byte"


def kernel_kinds() -> tuple[str, ...]:
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    return tuple(_core.kernel_kinds())


def kernel_terms(kind: str) -> tuple[str, ...]:
    from tinyops import _core  # type: ignore[attr-defined]

    return tuple(_core.kernel_terms(kind))


@dataclass(frozen=True)
class OpSample:
    """One measured op: its kernel kind, the cost model's features (term -> work), and the measured count."""

    kernel_kind: str
    features: dict[str, float]
    copied_bytes: float
    measured: float
    case: str  # the benchmark case: all its ops stay on one side of the split
    network: str = ""  # the measured network (case + placement), for reports


@dataclass(frozen=True)
class KindReport:
    kernel_kind: str
    train_ops: int
    test_ops: int
    mape: float  # percent, held-out
    within_10pct: float  # share of held-out ops within +-10 % of measured, percent


@dataclass(frozen=True)
class Undetermined:
    """A kernel kind whose training ops do not pin down its cost terms (fewer independent ops than terms)."""

    kernel_kind: str
    ops: int
    rank: int  # independent rows among the kind's training ops
    terms: int  # the kind's terms that these ops exercise


class UnderdeterminedFit(ValueError):
    """The measurements cannot determine every kind they hold; `kinds` says which and by how much."""

    def __init__(self, kinds: list[Undetermined]) -> None:
        self.kinds = kinds
        super().__init__(
            "calibration: the measured ops do not determine "
            + ", ".join(f"{k.kernel_kind} ({k.ops} ops, {k.rank} independent, {k.terms} terms)" for k in kinds)
        )


@dataclass
class Calibration:
    kernels: dict[str, dict[str, float]]  # kind -> term -> fitted value (kinds with training data, and of
    # each only the terms its training ops exercise)
    copy_cycles_per_byte: float | None  # None when not fitted
    train_ops: int
    test_ops: int
    train_cases: int
    test_cases: int
    mape: float
    within_10pct: float
    per_kind: list[KindReport] = field(default_factory=list)
    test_predictions: list[tuple[OpSample, float]] = field(default_factory=list)
    undetermined: list[Undetermined] = field(default_factory=list)  # kinds left unfitted (skip_undetermined)

    @property
    def held_out(self) -> bool:
        """Whether any op was held out of the fit (no: one case only, every op trained on)."""
        return self.test_ops > 0

    def predict(self, sample: OpSample) -> float:
        params = self.kernels[sample.kernel_kind]
        copy = (self.copy_cycles_per_byte or 0.0) * sample.copied_bytes
        return sum(params.get(term, 0.0) * work for term, work in sample.features.items()) + copy

    def evaluate(self, samples: Sequence[OpSample]) -> tuple[float, float, list[KindReport]]:
        """MAPE, share within +-10 % and the per-kind figures of these (unseen) samples."""
        pairs = [(s, self.predict(s)) for s in samples if s.kernel_kind in self.kernels]
        mape, within = error_figures([(p, s.measured) for s, p in pairs])
        trained = {r.kernel_kind: r.train_ops for r in self.per_kind}
        per_kind = []
        for kind in sorted({s.kernel_kind for s, _ in pairs}):
            kind_mape, kind_within = error_figures([(p, s.measured) for s, p in pairs if s.kernel_kind == kind])
            per_kind.append(
                KindReport(
                    kind, trained.get(kind, 0), sum(s.kernel_kind == kind for s, _ in pairs), kind_mape, kind_within
                )
            )
        return mape, within, per_kind


def split_by_case(
    samples: Sequence[OpSample], test_share: float = 0.25, seed: int = 0
) -> tuple[list[OpSample], list[OpSample]]:
    """Hold out a seeded random `test_share` of the benchmark cases (at least one when there are two)."""
    if not 0 < test_share < 1:
        raise ValueError(f"test_share: expected a share between 0 and 1, got {test_share}")
    cases = sorted({s.case for s in samples})
    random.Random(seed).shuffle(cases)
    n_test = max(1, round(test_share * len(cases))) if len(cases) > 1 else 0
    held_out = set(cases[:n_test])
    return [s for s in samples if s.case not in held_out], [s for s in samples if s.case in held_out]


def error_figures(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """(MAPE %, share within +-10 % in %) of (predicted, measured) pairs; NaN when empty."""
    if not pairs:
        return float("nan"), float("nan")
    errors = np.array([abs(p - m) / m for p, m in pairs])
    return float(100 * errors.mean()), float(100 * (errors <= 0.10).mean())


def _undetermined(train: Sequence[OpSample], exercised: dict[str, list[str]]) -> list[Undetermined]:
    """The kinds whose training ops leave a combination of their terms free (the kind's relative-error rows
    have lower rank than the terms they exercise)."""
    missing = []
    for kind, terms in exercised.items():
        rows = np.array([[s.features.get(t, 0.0) / s.measured for t in terms] for s in train if s.kernel_kind == kind])
        rank = int(np.linalg.matrix_rank(rows / np.abs(rows).max(axis=0)))  # columns scaled: counts differ by 1e6
        if rank < len(terms):
            missing.append(Undetermined(kind, len(rows), rank, len(terms)))
    return missing


def fit_kernel_costs(
    samples: Sequence[OpSample],
    fit_copy_cost: bool,
    test_share: float = 0.25,
    seed: int = 0,
    skip_undetermined: bool = False,
) -> Calibration:
    """Fit on the training cases with NNLS and report on the held-out cases. The copy cost is fitted only when
    asked and some training op copied bytes (otherwise `copy_cycles_per_byte` is None).

    A kind whose training ops do not determine its terms raises UnderdeterminedFit, or, with
    `skip_undetermined`, is left out of the fit and listed in `undetermined` (UnderdeterminedFit still when
    no kind is left)."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    kinds = kernel_kinds()
    for s in samples:
        if s.kernel_kind not in kinds:
            raise ValueError(f"kernel_kind: expected one of {', '.join(kinds)}, got '{s.kernel_kind}'")
        if not s.measured > 0:
            raise ValueError(f"measured: expected a positive count, got {s.measured} ({s.case}, {s.kernel_kind})")
        unknown = set(s.features) - set(kernel_terms(s.kernel_kind))
        if unknown:
            raise ValueError(f"features: {', '.join(sorted(unknown))} are not cost terms of {s.kernel_kind}")
    train, test = split_by_case(samples, test_share, seed)
    if not train:
        raise ValueError("calibration: no training samples (measure the micro-benchmark set first)")
    fit_copy_cost = fit_copy_cost and any(s.copied_bytes > 0 for s in train)  # no copies: nothing to fit
    fitted_kinds = [k for k in kinds if any(s.kernel_kind == k for s in train)]
    # Only the terms some training op exercises are fitted: a term no op has work for keeps the board's value.
    exercised = {
        k: [t for t in kernel_terms(k) if any(s.kernel_kind == k and s.features.get(t) for s in train)]
        for k in fitted_kinds
    }
    undetermined = _undetermined(train, exercised)
    if undetermined and (not skip_undetermined or len(undetermined) == len(fitted_kinds)):
        raise UnderdeterminedFit(undetermined)
    if undetermined:
        left_out = {u.kernel_kind for u in undetermined}
        train = [s for s in train if s.kernel_kind not in left_out]
        fitted_kinds = [k for k in fitted_kinds if k not in left_out]
    column = {(k, t): i for i, (k, t) in enumerate((k, t) for k in fitted_kinds for t in exercised[k])}
    a = np.zeros((len(train), len(column) + (1 if fit_copy_cost else 0)))
    b = np.array([s.measured for s in train], dtype=float)
    for row, s in enumerate(train):
        for term, work in s.features.items():
            if work:
                a[row, column[(s.kernel_kind, term)]] = work
        if fit_copy_cost:
            a[row, -1] = s.copied_bytes
    x, _residual, _iterations = _core.solve_nnls(a, b, 1.0 / b)
    result = Calibration(
        kernels={k: {t: float(x[column[(k, t)]]) for t in exercised[k]} for k in fitted_kinds},
        copy_cycles_per_byte=float(x[-1]) if fit_copy_cost else None,
        train_ops=len(train),
        test_ops=0,
        train_cases=len({s.case for s in train}),
        test_cases=len({s.case for s in test}),
        mape=float("nan"),
        within_10pct=float("nan"),
        undetermined=undetermined,
    )
    evaluable = [s for s in test if s.kernel_kind in result.kernels]
    result.test_predictions = [(s, result.predict(s)) for s in evaluable]
    result.test_ops = len(evaluable)
    result.mape, result.within_10pct, per_kind = result.evaluate(evaluable)
    tested = {r.kernel_kind: r for r in per_kind}
    for kind in fitted_kinds:
        r = tested.get(kind, KindReport(kind, 0, 0, float("nan"), float("nan")))
        result.per_kind.append(
            KindReport(kind, sum(s.kernel_kind == kind for s in train), r.test_ops, r.mape, r.within_10pct)
        )
    return result
