"""Calibration: fit a board's kernel cost parameters to measured per-op counts, and say how well they predict.

The cost model (core-sim's kernel_cost.hpp) is linear in its parameters, per kernel kind:

    cycles(op) = cycles_per_call * parts + cycles_per_mac * macs + cycles_per_output * outputs

plus, on a board without a DMA engine (QEMU), the synchronous overlay copies the op makes:
`memcpy_cycles_per_byte * copied_bytes` (a CPU parameter shared by every kind). Costs are non-negative, so
the fit is non-negative least squares (Eigen, in the C++ core) on relative errors (each row weighted by
1 / measured), which is what MAPE and the share within +-10% judge. Ops are split by network into a training
set and a held-out set, per kernel kind, so that no network's ops are on both sides.
"""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

KERNEL_KINDS = ("conv2d_1x1", "conv2d_kxk", "depthwise_conv2d", "add", "average_pool", "global_average_pool",
                "fully_connected", "pad")
TERMS = ("cycles_per_call", "cycles_per_mac", "cycles_per_output")
COPY_TERM = "memcpy_cycles_per_byte"


@dataclass(frozen=True)
class OpSample:
    """One measured op: its kernel kind, the cost model's features, and the measured count."""

    kernel_kind: str
    parts: float
    macs: float
    outputs: float
    copied_bytes: float
    measured: float
    network: str  # ops of one network stay on one side of the split
    kernel_variant: str = ""  # the firmware kernel that ran (e.g. the DSP 3x3 depthwise); "" = kernel_kind


@dataclass(frozen=True)
class KindReport:
    kernel_kind: str
    train_ops: int
    test_ops: int
    mape: float            # percent, held-out
    within_10pct: float    # share of held-out ops within +-10 % of measured, percent


@dataclass
class Calibration:
    kernels: dict[str, dict[str, float]]     # kind -> term -> fitted value (kinds with training data only)
    copy_cycles_per_byte: float | None       # None when not fitted
    train_ops: int
    test_ops: int
    mape: float
    within_10pct: float
    per_kind: list[KindReport] = field(default_factory=list)
    test_predictions: list[tuple[OpSample, float]] = field(default_factory=list)

    def predict(self, sample: OpSample) -> float:
        params = self.kernels[sample.kernel_kind]
        copy = (self.copy_cycles_per_byte or 0.0) * sample.copied_bytes
        return (params["cycles_per_call"] * sample.parts + params["cycles_per_mac"] * sample.macs
                + params["cycles_per_output"] * sample.outputs + copy)


def split_by_network(samples: list[OpSample], test_every: int = 4) -> tuple[list[OpSample], list[OpSample]]:
    """Per kernel kind, every `test_every`-th network (in a fixed hash order) is held out."""
    if test_every < 2:
        raise ValueError(f"test_every: expected at least 2, got {test_every}")
    train: list[OpSample] = []
    test: list[OpSample] = []
    by_kind: dict[str, list[OpSample]] = defaultdict(list)
    for s in samples:
        by_kind[s.kernel_kind].append(s)
    for kind_samples in by_kind.values():
        networks = sorted({s.network for s in kind_samples}, key=lambda n: (zlib.crc32(n.encode()), n))
        held_out = {n for i, n in enumerate(networks) if i % test_every == test_every - 1}
        for s in kind_samples:
            (test if s.network in held_out else train).append(s)
    return train, test


def _error_figures(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    if not pairs:
        return float("nan"), float("nan")
    errors = np.array([abs(p - m) / m for p, m in pairs])
    return float(100 * errors.mean()), float(100 * (errors <= 0.10).mean())


def by_variant(samples: list[OpSample]) -> list[OpSample]:
    """The samples with each firmware kernel variant as its own kind (a finer cost model than the board's)."""
    return [replace(s, kernel_kind=s.kernel_variant or s.kernel_kind) for s in samples]


def fit_kernel_costs(samples: list[OpSample], fit_copy_cost: bool, test_every: int = 4,
                     kinds: Sequence[str] = KERNEL_KINDS) -> Calibration:
    """Fit on the training split with NNLS and report on the held-out split. The copy cost is fitted only
    when asked and some training op copied bytes (otherwise `copy_cycles_per_byte` is None). `kinds`: the
    kinds the samples may have (the board's kernel kinds, or the variants of by_variant())."""
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    for s in samples:
        if s.kernel_kind not in kinds:
            raise ValueError(f"kernel_kind: expected one of {', '.join(kinds)}, got '{s.kernel_kind}'")
        if not s.measured > 0:
            raise ValueError(f"measured: expected a positive count, got {s.measured} ({s.network}, {s.kernel_kind})")
    train, test = split_by_network(samples, test_every)
    if not train:
        raise ValueError("calibration: no training samples (measure the micro-benchmark set first)")
    fit_copy_cost = fit_copy_cost and any(s.copied_bytes > 0 for s in train)  # no copies: nothing to fit
    kinds = [k for k in kinds if any(s.kernel_kind == k for s in train)]
    column = {(k, t): i for i, (k, t) in enumerate((k, t) for k in kinds for t in TERMS)}
    n_columns = len(column) + (1 if fit_copy_cost else 0)
    a = np.zeros((len(train), n_columns))
    b = np.array([s.measured for s in train])
    for row, s in enumerate(train):
        a[row, column[(s.kernel_kind, "cycles_per_call")]] = s.parts
        a[row, column[(s.kernel_kind, "cycles_per_mac")]] = s.macs
        a[row, column[(s.kernel_kind, "cycles_per_output")]] = s.outputs
        if fit_copy_cost:
            a[row, -1] = s.copied_bytes
    x, _residual, _iterations = _core.solve_nnls(a, b, 1.0 / b)
    result = Calibration(
        kernels={k: {t: float(x[column[(k, t)]]) for t in TERMS} for k in kinds},
        copy_cycles_per_byte=float(x[-1]) if fit_copy_cost else None,
        train_ops=len(train), test_ops=0, mape=float("nan"), within_10pct=float("nan"))
    evaluable = [s for s in test if s.kernel_kind in result.kernels]
    result.test_predictions = [(s, result.predict(s)) for s in evaluable]
    result.test_ops = len(evaluable)
    result.mape, result.within_10pct = _error_figures([(p, s.measured) for s, p in result.test_predictions])
    for kind in kinds:
        pairs = [(p, s.measured) for s, p in result.test_predictions if s.kernel_kind == kind]
        mape, within = _error_figures(pairs)
        result.per_kind.append(KindReport(kind, sum(s.kernel_kind == kind for s in train), len(pairs), mape, within))
    return result
