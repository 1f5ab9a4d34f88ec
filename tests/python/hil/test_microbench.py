"""The calibration set: valid networks, and features that vary independently within each kernel kind."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

from tinyops.compiler import evaluate
from tinyops.compiler._network import to_network
from tinyops.hil._microbench import STRATEGIES, calibration_set
from tinyops.hil._pipeline import kernel_kind, op_features


def test_every_network_is_valid_and_named_uniquely() -> None:
    benchmarks = calibration_set()
    assert len({b.name for b in benchmarks}) == len(benchmarks)
    assert {b.strategy for b in benchmarks} == set(STRATEGIES)
    sample = benchmarks[0].model
    out = evaluate(sample, np.zeros((1, *sample.tensors[sample.input].shape), dtype=np.int8))
    assert out.shape[-1] == sample.tensors[sample.output].shape[2]


def test_each_kernel_kind_varies_macs_per_output_and_outputs() -> None:
    # The per-MAC and per-output terms are separable only if MACs/output varies within a kind (NNLS would
    # otherwise split their sum arbitrarily, as test_calibration shows).
    macs_per_output: dict[str, set[float]] = defaultdict(set)
    outputs: dict[str, set[int]] = defaultdict(set)
    for bench in calibration_set(strategies=("internal",)):
        network = to_network(bench.model).network
        for op in network.ops:
            macs, outs = op_features(network, op)
            macs_per_output[kernel_kind(op)].add(macs / outs)
            outputs[kernel_kind(op)].add(outs)
    for kind in ("conv2d_1x1", "conv2d_kxk", "depthwise_conv2d", "average_pool", "fully_connected"):
        assert len(macs_per_output[kind]) >= 3, kind
    for kind in ("add", "pad", "conv2d_1x1", "depthwise_conv2d"):
        assert len(outputs[kind]) >= 4, kind


def test_subset_and_bad_arguments() -> None:
    assert len(calibration_set(every=4)) < len(calibration_set()) / 3
    with pytest.raises(ValueError, match="strategies"):
        calibration_set(strategies=("optimal-ish",))
    with pytest.raises(ValueError, match="every"):
        calibration_set(every=0)
