"""The calibration fit against hand-computed truth: exact recovery, the split, and the held-out figures."""

from __future__ import annotations

import math

import pytest

from tinyops.latency_model._calibration import (
    OpSample,
    UnderdeterminedFit,
    fit_kernel_costs,
    kernel_terms,
    split_by_case,
)

# Two kinds, each with a few of its named terms (the others' features are 0 for these samples).
TRUE = {
    "conv2d_1x1": {
        "cycles_per_call": 900.0,
        "cycles_per_mac": 1.5,
        "cycles_per_output": 4.0,
        "cycles_per_odd_mac": 0.75,
    },
    "depthwise_conv2d_reference": {
        "cycles_per_call": 1200.0,
        "cycles_per_mac": 5.0,
        "cycles_per_output": 10.0,
        "cycles_per_row_visit": 3.0,
    },
}
COPY = 0.75


def _samples() -> list[OpSample]:
    samples = []
    for kind, terms in TRUE.items():
        for n in range(16):
            h = 4 + 2 * n
            outputs = h * h * (8 + n)
            kernel = (3, 5, 7)[n % 3]
            # Features must vary independently within a kind, or their terms cannot be told apart: the
            # micro-benchmark set sweeps channels, kernel sizes and odd widths for this reason.
            features = {"cycles_per_call": 1.0 + n % 3, "cycles_per_output": float(outputs)}
            if kind == "conv2d_1x1":
                features["cycles_per_mac"] = float(outputs * (8 + 3 * (n % 5)))
                features["cycles_per_odd_mac"] = float((n % 4) * h * (8 + n) * 8)
            else:
                features["cycles_per_mac"] = float(outputs * kernel**2 - n * 40)
                features["cycles_per_row_visit"] = float(outputs * kernel)
            copied = 0 if n % 2 else h * h * 8
            cycles = sum(terms[t] * w for t, w in features.items()) + COPY * copied
            samples.append(OpSample(kind, features, copied, cycles, case=f"{kind}-net{n}"))
    return samples


def test_split_keeps_each_case_on_one_side_and_holds_out_a_quarter() -> None:
    train, test = split_by_case(_samples(), test_share=0.25, seed=3)
    assert {s.case for s in train}.isdisjoint({s.case for s in test})
    assert len({s.case for s in test}) == 8 and len(train) == 24  # 8 of 32 cases
    assert split_by_case(_samples(), seed=3) == (train, test)  # seeded: the same split again
    assert split_by_case(_samples(), seed=4) != (train, test)


def test_exact_model_is_recovered_and_predicts_held_out_ops_exactly() -> None:
    result = fit_kernel_costs(_samples(), fit_copy_cost=True)
    for kind, terms in TRUE.items():
        assert set(result.kernels[kind]) == set(terms)  # the terms the ops exercise; the others keep the board's
        assert set(terms) < set(kernel_terms(kind))
        for term, value in terms.items():
            assert result.kernels[kind][term] == pytest.approx(value, rel=1e-6)
    assert result.copy_cycles_per_byte == pytest.approx(COPY, rel=1e-6)
    assert result.test_ops == 8 and result.test_cases == 8 and result.train_cases == 24
    assert result.mape < 1e-6 and result.within_10pct == 100.0


def test_held_out_figures_are_the_hand_computed_ones() -> None:
    # Without the copy term, held-out ops with copies are under-predicted by exactly their copy cost.
    result = fit_kernel_costs([s for s in _samples() if s.copied_bytes == 0], fit_copy_cost=False)
    assert result.mape < 1e-6
    biased = fit_kernel_costs(_samples(), fit_copy_cost=False)
    by_hand = [abs(p - s.measured) / s.measured for s, p in biased.test_predictions]
    assert biased.mape == pytest.approx(100 * sum(by_hand) / len(by_hand))
    assert biased.within_10pct == pytest.approx(100 * sum(e <= 0.1 for e in by_hand) / len(by_hand))
    assert {r.kernel_kind for r in biased.per_kind} == set(TRUE)
    assert all(not math.isnan(r.mape) for r in biased.per_kind)


def test_bad_samples_are_rejected_naming_the_field() -> None:
    with pytest.raises(ValueError, match="kernel_kind"):
        fit_kernel_costs([OpSample("conv3d", {"cycles_per_call": 1}, 0, 10, "n")], fit_copy_cost=False)
    with pytest.raises(ValueError, match="measured"):
        fit_kernel_costs([OpSample("add", {"cycles_per_call": 1}, 0, 0, "n")], fit_copy_cost=False)
    with pytest.raises(ValueError, match="cycles_per_gather_tap are not cost terms of add"):
        fit_kernel_costs([OpSample("add", {"cycles_per_gather_tap": 1}, 0, 10, "n")], fit_copy_cost=False)


def test_kind_whose_ops_leave_terms_free_is_named_not_fitted() -> None:
    # Three ops of one shape family: mac and output work are proportional, so their split is not determined.
    samples = [
        OpSample(
            "conv2d_1x1",
            {"cycles_per_call": 1.0, "cycles_per_mac": 64.0 * n, "cycles_per_output": 8.0 * n},
            0,
            100 + 90.0 * n,
            f"case{n}",
        )
        for n in (1, 2, 3, 4, 5, 6, 7, 8)
    ]
    with pytest.raises(UnderdeterminedFit) as err:
        fit_kernel_costs(samples, fit_copy_cost=False)
    (kind,) = err.value.kinds
    assert (kind.kernel_kind, kind.rank, kind.terms) == ("conv2d_1x1", 2, 3) and kind.ops == 6
    assert "conv2d_1x1 (6 ops, 2 independent, 3 terms)" in str(err.value)
