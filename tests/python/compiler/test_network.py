"""IR -> the core's Network: what the planners see."""

from __future__ import annotations

import numpy as np
import pytest

from tinyops.compiler._network import requant_shares, to_network


def test_r064_maps_to_a_network_the_core_accepts(r064_model) -> None:
    mapping = to_network(r064_model)
    net = mapping.network
    assert len(net.ops) == 76  # every op but the reshape, which aliases its input
    assert mapping.core_op[-1] is None and r064_model.ops[-1].kind.value == "reshape"
    kinds = [op.kind for op in net.ops]
    assert kinds.count("conv2d") == 42 and kinds.count("depthwise_conv2d") == 20 and kinds.count("add") == 13
    first = net.ops[0]
    assert (first.kernel_h, first.stride, first.padding, first.act) == (3, 2, [0, 0, 1, 1], "relu6")
    out = net.tensors[net.output].shape
    assert (out.h, out.w, out.c) == (1, 1, 1000)
    # MACs the core counts for conv/depthwise/FC equal the sum over the IR's weighted ops.
    expected = 0
    for op in r064_model.ops:
        h, w, c = r064_model.tensors[op.output].shape
        if op.kind.value == "conv2d":
            expected += h * w * c * op.weights[0].size
        elif op.kind.value == "depthwise_conv2d":
            expected += h * w * c * op.kernel[0] * op.kernel[1]
    assert net.total_macs == expected


def test_requantization_paths_follow_the_shifts_and_the_activation_range(r064_model) -> None:
    # Right shifts of 1..22 bits: the fast path; left shifts of 0..31: the left-shift path; others: general.
    shares = requant_shares(np.array([-1, -22, -23, -31, 0, 31, 5, -9]))
    assert (shares.general, shares.left_shift) == (2 / 8, 3 / 8)
    assert requant_shares(None) == requant_shares(np.array([], dtype=np.int32)) == requant_shares(np.array([-9]))
    # r064's ReLU6 layers: left shifts on the full int8 range (zero point -128, scale 6/255), so SSAT, no clamp.
    net = to_network(r064_model).network
    stem, project = net.ops[0], net.ops[2]
    assert (stem.act, stem.left_shift_share, stem.slow_requant_share, stem.clamped_activation) == (
        "relu6",
        1.0,
        0.0,
        False,
    )
    assert (project.left_shift_share, project.slow_requant_share, project.clamped_activation) == (0.0, 0.0, False)


def test_core_rejects_what_it_cannot_plan(r064_model) -> None:
    import copy

    model = copy.deepcopy(r064_model)
    model.ops[1].stride = (2, 1)
    with pytest.raises(ValueError, match=r"ops\[1\].*stride: the core plans square strides only"):
        to_network(model)


def test_network_builder_checks_shapes() -> None:
    from tinyops import _core

    net = _core.Network("t")
    x = net.add_input(8, 8, 4)
    conv = net.add_op("conv2d", "c", [x], out_channels=8)
    with pytest.raises(ValueError, match="add inputs have different shapes"):
        net.add_op("add", "a", [x, net.ops[conv].output])
