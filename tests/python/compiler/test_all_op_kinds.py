"""Every op kind and option the r064 model lacks (dilation, depth multiplier 2, VALID padding, pad, pooling
over padded windows, fully connected, add with a fused ReLU6), in a small .tflite written here: the reference
evaluator, the host runtime and the QEMU runner against TFLite Micro and LiteRT."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import tflite
from compiler_fixtures import one_part_plan
from tflite_builder import Builder, all_ops_model, pool_reshape_fc_model

from tinyops.compiler import (
    HostRuntime,
    _interpreters,
    compile_model,
    evaluate,
    host_runtime_available,
    import_tflite,
)
from tinyops.compiler._blob import write_blob


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ops") / "all_ops.tflite"
    path.write_bytes(all_ops_model(seed=7))
    return path


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(3).integers(-128, 128, size=(8, 12, 12, 4), dtype=np.int8)


def _tflite_micro(path: Path, images: np.ndarray) -> np.ndarray:
    return _interpreters.tflite_micro(path)(images)


def test_every_op_kind_imports(model_path: Path) -> None:
    model = import_tflite(model_path)
    assert model.op_counts() == {
        "conv2d": 2,
        "depthwise_conv2d": 1,
        "pad": 1,
        "average_pool2d": 2,
        "add": 1,
        "reshape": 1,
        "fully_connected": 1,
    }
    conv, depthwise = model.ops[0], model.ops[1]
    assert conv.dilation == (2, 2) and (conv.padding.top, conv.padding.bottom) == (2, 2)
    assert depthwise.depth_multiplier == 2 and depthwise.padding.top == 0


def test_reference_evaluator_matches_tflite_micro_and_litert(model_path: Path, images: np.ndarray) -> None:
    model = import_tflite(model_path)
    expected = _tflite_micro(model_path, images)
    np.testing.assert_array_equal(evaluate(model, images).reshape(len(images), -1), expected)
    tensors = _interpreters.litert_tensors(model_path, images[0])
    values = evaluate(model, images[0], keep_intermediates=True)
    for op in model.ops:
        got = values[op.output]
        np.testing.assert_array_equal(
            got, tensors[model.tensors[op.output].name].reshape(got.shape), err_msg=op.kind.value
        )
        assert len(np.unique(got)) > 5, f"{op.kind.value} output is nearly constant: a weak test"


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
def test_host_runtime_matches_tflite_micro(model_path: Path, images: np.ndarray) -> None:
    model = import_tflite(model_path)
    blob, _ = write_blob(model, *one_part_plan(model))
    np.testing.assert_array_equal(
        HostRuntime(blob).run(images).reshape(len(images), -1), _tflite_micro(model_path, images)
    )


def test_qemu_runner_matches_tflite_micro(model_path: Path, images: np.ndarray) -> None:
    import tinyops.compiler._qemu as qemu

    if shutil.which("qemu-system-arm") is None or not (qemu.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file():
        pytest.skip("QEMU or the firmware runtime is absent")
    model = import_tflite(model_path)
    blob, _ = write_blob(model, *one_part_plan(model))
    run = qemu.run_blob_in_qemu(blob, images[0], elf=qemu.runner_elf("qemu-mps2-an500"))
    np.testing.assert_array_equal(run.output, _tflite_micro(model_path, images[:1])[0])


def test_unsupported_operator_is_named(tmp_path: Path) -> None:
    b = Builder()
    x = b.activation((1, 4, 4, 2), 0.1, 0, "input")
    y = b.activation((1, 4, 4, 2), 0.1, 0, "y")
    b.input, b.output = x, y
    b.op(tflite.BuiltinOperator.TANH, [x], y)
    path = tmp_path / "tanh.tflite"
    path.write_bytes(b.finish())
    with pytest.raises(ValueError, match=r"tanh\.tflite: operators: 1 unsupported: TANH \(operator 0\)"):
        import_tflite(path)


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
@pytest.mark.parametrize("strategy", ["internal", "external", "tinyops", "optimal"])
def test_pool_reshape_fully_connected_runs_under_every_strategy(tmp_path: Path, strategy: str) -> None:
    """A non-global average pool -> reshape -> fully connected: the loader once refused the FC's part
    (bad_partition: in rows of the pool's 4x4x8 geometry against the reshape's 1x1x128)."""
    path = tmp_path / "pool_fc.tflite"
    path.write_bytes(pool_reshape_fc_model(seed=5))
    images = np.random.default_rng(11).integers(-128, 128, size=(4, 8, 8, 4), dtype=np.int8)
    compiled = compile_model(import_tflite(path), "stm32f746g-disco", strategy)
    np.testing.assert_array_equal(
        HostRuntime(compiled.blob).run(images).reshape(len(images), -1), _tflite_micro(path, images)
    )
