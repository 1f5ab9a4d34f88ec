"""TFLite's QuantizeMultiplier / MultiplyByQuantizedMultiplier, against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tinyops.compiler import _quant


@pytest.mark.parametrize(
    ("real", "expected"),
    [
        (0.5, (1 << 30, 0)),  # 0.5 = 0.5 * 2^0
        (1.0, (1 << 30, 1)),  # 1.0 = 0.5 * 2^1
        (0.75, (1610612736, 0)),  # 0.75 * 2^31
        (0.1, (1717986918, -3)),  # 0.8 * 2^-3; 0.8 * 2^31 = 1717986918.4 -> 1717986918
        (1e-12, (0, 0)),  # below 2^-31: flushed to zero as TFLite does
        (0.0, (0, 0)),
        (2.0**40, (1 << 30, 41)),  # shifts above 31 are returned unchanged ...
    ],
)
def test_quantize_multiplier(real: float, expected: tuple[int, int]) -> None:
    assert _quant.quantize_multiplier(real) == expected


def test_quantize_multiplier_rounds_mantissa_up_to_the_next_power() -> None:
    # 1 - 2^-40 has mantissa 0.99999999..., which rounds to 2^31: TFLite halves it and bumps the shift.
    assert _quant.quantize_multiplier(1 - 2.0**-40) == (1 << 30, 1)


def test_executed_shift_reduces_mod_32() -> None:
    assert [_quant.executed_shift(s) for s in (-31, 0, 30, 31, 32, 41, 95)] == [-31, 0, 30, 31, 0, 9, 31]


def test_quantize_multiplier_rejects_negative() -> None:
    with pytest.raises(ValueError, match="finite and >= 0"):
        _quant.quantize_multiplier(-0.5)


@pytest.mark.parametrize(
    ("x", "multiplier", "shift", "expected"),
    [
        (100, 1 << 30, 0, 50),  # x * 0.5
        (3, 1 << 30, 0, 2),  # 1.5 -> 2
        (-3, 1 << 30, 0, -1),  # gemmlowp nudges negatives by 1 - 2^30: -1.5 -> -1
        (5, 1 << 30, -1, 2),  # SRDHM: 2.5 -> 3; then 3 / 2 = 1.5 rounds away from zero -> 2
        (7, 1 << 30, 2, 14),  # 7 * 4 * 0.5
        (3, 1 << 30, 31, -(1 << 30)),  # 3 << 31 wraps to INT32_MIN; SRDHM(INT32_MIN, 2^30) = -2^30
        (2, 1 << 30, 31, 0),  # 2 << 31 wraps to 0
    ],
)
def test_multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int, expected: int) -> None:
    got = _quant.multiply_by_quantized_multiplier(np.array([x]), np.array([multiplier]), np.array([shift]))
    assert int(got[0]) == expected


def test_activation_range_relu6() -> None:
    assert _quant.activation_range("relu6", 6.0 / 255.0, -128) == (-128, 127)
    assert _quant.activation_range("relu", 0.1, 5) == (5, 127)
    assert _quant.activation_range("none", 0.1, 5) == (-128, 127)
    with pytest.raises(ValueError, match="unsupported fused activation"):
        _quant.activation_range("tanh", 0.1, 0)


def test_add_params_match_tflite_prepare() -> None:
    # input scales 0.5 and 0.25, output 1.0: twice_max = 1.0; inputs 0.5 and 0.25; output 1 / 2^20.
    assert _quant.add_params(0.5, 0.25, 1.0) == (1 << 30, 0, 1 << 30, -1, 1 << 30, -19)
