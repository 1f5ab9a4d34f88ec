"""The .tflite front end and the numpy reference evaluator, bit-exact against the reference interpreters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinyops.compiler import OpKind, _interpreters, evaluate, import_tflite


def test_r064_imports_with_the_published_op_counts(r064_model) -> None:
    assert r064_model.op_counts() == {
        "conv2d": 42,
        "depthwise_conv2d": 20,
        "add": 13,
        "average_pool2d": 1,
        "reshape": 1,
    }
    assert r064_model.tensors[r064_model.input].shape == (64, 64, 3)
    assert r064_model.tensors[r064_model.output].shape == (1, 1, 1000)
    first = r064_model.ops[0]
    assert (first.kernel, first.stride, first.activation) == ((3, 3), (2, 2), "relu6")
    # SAME padding, stride 2, on 64 rows: TFLite pads one row at the bottom and none on top.
    assert (first.padding.top, first.padding.bottom) == (0, 1)
    assert all(-31 <= int(s) <= 31 for op in r064_model.ops if op.shifts is not None for s in op.shifts)


def test_reference_evaluator_is_bit_exact_with_tflite_micro(r064_path: Path, r064_model, r064_inputs) -> None:
    ours = evaluate(r064_model, r064_inputs).reshape(len(r064_inputs), -1)
    np.testing.assert_array_equal(ours, _interpreters.tflite_micro(r064_path)(r064_inputs))
    assert len(np.unique(ours)) > 10  # the logits are not a constant


def test_reference_evaluator_intermediates_match_litert(r064_path: Path, r064_model, r064_inputs) -> None:
    tensors = _interpreters.litert_tensors(r064_path, r064_inputs[0])
    values = evaluate(r064_model, r064_inputs[0], keep_intermediates=True)
    for op in r064_model.ops:
        name = r064_model.tensors[op.output].name
        expected = tensors[name].reshape(values[op.output].shape)
        np.testing.assert_array_equal(values[op.output], expected, err_msg=f"{op.kind.value} {name}")


def test_garbage_file_is_one_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match=r"bad\.tflite: not a"):
        import_tflite(bad)
    with pytest.raises(FileNotFoundError, match="no such model file"):
        import_tflite(tmp_path / "missing.tflite")


def test_evaluate_rejects_wrong_input(r064_model) -> None:
    with pytest.raises(ValueError, match=r"expected int8 of shape \(N, 64, 64, 3\)"):
        evaluate(r064_model, np.zeros((1, 32, 32, 3), np.int8))
    with pytest.raises(ValueError, match="expected int8"):
        evaluate(r064_model, np.zeros((64, 64, 3), np.float32))


def test_op_kinds_are_the_ir_enum(r064_model) -> None:
    assert {op.kind for op in r064_model.ops} <= set(OpKind)
