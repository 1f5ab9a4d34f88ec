"""Plans with cross-op param prefetch (an op's weights, bias and quant copied ahead, at the other end of their
buffer, while the previous op's last part computes) run bit-exact: host runtime and the an505 runner (PL081
DMA, copies concurrent with compute) against the reference evaluator."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

import tinyops.compiler._qemu as _qemu_module
from tinyops.compiler import CompiledModel, HostRuntime, compile_model, evaluate, host_runtime_available
from tinyops.hil._microbench import _Builder

PARAMS = ("weights", "bias", "quant")


@pytest.fixture(scope="module")
def compiled() -> CompiledModel:
    """Three inverted-residual blocks on a 48x48x16 map: too large for `internal` on the F746, so `optimal`
    row-partitions from the overlay buffers and prefetches params across ops."""
    b = _Builder("chain-48x48x16-e6", (48, 48, 16), 7)
    x = 0
    for _ in range(3):
        x = b.add(x, b.conv(b.depthwise(b.conv(x, 96, 1), 3), 16, 1, act="none"))
    return compile_model(b.build(x), "stm32f746g-disco", "optimal")


@pytest.fixture(scope="module")
def images(compiled: CompiledModel) -> np.ndarray:
    shape = compiled.model.tensors[compiled.model.input].shape
    return np.random.default_rng(1).integers(-128, 128, size=(2, *shape), dtype=np.int8)


def _expected(compiled: CompiledModel, images: np.ndarray) -> np.ndarray:
    return np.stack([evaluate(compiled.model, image).reshape(-1) for image in images])


def test_the_plan_prefetches_params_across_ops(compiled: CompiledModel) -> None:
    ops = compiled.plan_json["ops"]
    prefetching = [o for o in ops if any(t["operand"] in PARAMS for t in o["parts"][0]["copy_in"])]
    assert len(prefetching) >= 3, f"{len(prefetching)} of {len(ops)} ops prefetch params: the test would be weak"
    assert all(o["parts"][0]["copy_ahead"] for o in prefetching)


@pytest.mark.skipif(not host_runtime_available(), reason="tinyops._core was built without the firmware runtime")
def test_host_runtime_bit_exact(compiled: CompiledModel, images: np.ndarray) -> None:
    got = HostRuntime(compiled.blob).run(images).reshape(len(images), -1)
    np.testing.assert_array_equal(got, _expected(compiled, images))


@pytest.mark.skipif(shutil.which("qemu-system-arm") is None, reason="qemu-system-arm is not installed")
@pytest.mark.skipif(
    not (_qemu_module.REPO / "firmware/include/tinyops/rt/runtime.hpp").is_file(),
    reason="the firmware runtime is not in this tree",
)
def test_an505_runner_bit_exact(compiled: CompiledModel, images: np.ndarray) -> None:
    from tinyops.compiler._qemu import run_blob_in_qemu, runner_elf

    port = "qemu-mps2-an505"
    elf = runner_elf(port)
    for image, expected in zip(images, _expected(compiled, images)):
        np.testing.assert_array_equal(run_blob_in_qemu(compiled.blob, image, port=port, elf=elf).output, expected)
