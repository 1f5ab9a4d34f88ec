"""The calibration fit against hand-computed truth: exact recovery, the split, and the held-out figures."""

from __future__ import annotations

import math

import pytest

from tinyops.latency_model._calibration import OpSample, fit_kernel_costs, split_by_network

TRUE = {"conv2d_1x1": (900.0, 1.5, 4.0), "depthwise_conv2d": (1200.0, 5.0, 10.0)}
COPY = 0.75


def _samples() -> list[OpSample]:
    samples = []
    for kind, (call, mac, out) in TRUE.items():
        for n in range(16):
            h = 4 + 2 * n
            outputs = h * h * (8 + n)
            # MACs per output must vary within a kind (input channels, kernel sizes), or the per-MAC and
            # per-output terms cannot be told apart: the micro-benchmark set sweeps both for this reason.
            macs = outputs * (8 + 3 * (n % 5) if kind == "conv2d_1x1" else (3, 5, 7)[n % 3] ** 2)
            parts = 1 + n % 3
            copied = 0 if n % 2 else h * h * 8
            cycles = call * parts + mac * macs + out * outputs + COPY * copied
            samples.append(OpSample(kind, parts, macs, outputs, copied, cycles, network=f"{kind}-net{n}"))
    return samples


def test_split_keeps_each_network_on_one_side_and_holds_out_a_quarter() -> None:
    train, test = split_by_network(_samples(), test_every=4)
    assert {s.network for s in train}.isdisjoint({s.network for s in test})
    assert len(test) == 8 and len(train) == 24  # 4 of 16 networks per kind


def test_exact_model_is_recovered_and_predicts_held_out_ops_exactly() -> None:
    result = fit_kernel_costs(_samples(), fit_copy_cost=True)
    for kind, (call, mac, out) in TRUE.items():
        fitted = result.kernels[kind]
        assert fitted["cycles_per_call"] == pytest.approx(call, rel=1e-6)
        assert fitted["cycles_per_mac"] == pytest.approx(mac, rel=1e-6)
        assert fitted["cycles_per_output"] == pytest.approx(out, rel=1e-6)
    assert result.copy_cycles_per_byte == pytest.approx(COPY, rel=1e-6)
    assert result.test_ops == 8 and result.mape < 1e-6 and result.within_10pct == 100.0


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
        fit_kernel_costs([OpSample("conv3d", 1, 1, 1, 0, 10, "n")], fit_copy_cost=False)
    with pytest.raises(ValueError, match="measured"):
        fit_kernel_costs([OpSample("add", 1, 0, 1, 0, 0, "n")], fit_copy_cost=False)
