from __future__ import annotations

import json
from pathlib import Path

import pytest

from tinyops.latency_model import examples, load_arch, scale_arch


def test_published_mbv3_counts(shared_dir: Path) -> None:
    path = shared_dir / "models/arch/mbv3-w1.00-r224.json"
    if not path.exists():
        pytest.skip(f"absent: {path}")
    arch = json.loads(path.read_text())
    arch["resolution"] = 160
    net = load_arch(arch)
    assert net.total_macs == pytest.approx(111.31e6, rel=1e-4)
    assert net.param_count == pytest.approx(3.96e6, rel=1e-3)


def test_scaling_matches_the_generator() -> None:
    # Scaling a full-width network must give the same channels as generating the narrow one directly.
    derived = scale_arch(examples.mobilenet_v2(1.0, 224), 0.35, 144)
    direct = examples.mobilenet_v2(0.35, 144)
    assert load_arch(derived).total_macs == load_arch(direct).total_macs


@pytest.mark.parametrize("name", list(examples.BUILTIN))
def test_builtin_examples_load(name: str) -> None:
    net = load_arch(examples.builtin(name))
    assert net.total_macs > 1e6
    assert net.tensors[net.output].shape.c == 1000


def test_mobilenet_v2_full_size_is_the_published_one() -> None:
    net = load_arch(examples.mobilenet_v2(1.0, 224))
    assert net.total_macs == pytest.approx(300.8e6, rel=0.01)  # MobileNetV2 paper: 300M MACs
    assert net.param_count == pytest.approx(3.50e6, rel=0.01)  # 3.4M weights + BN affine


def test_bad_file_names_file_and_field(tmp_path: Path) -> None:
    arch = examples.mobilenet_v2(0.35, 96)
    arch["blocks"][2]["mobile_inverted_conv"]["in_channels"] = 999
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(arch))
    with pytest.raises(ValueError, match=r"bad\.json: blocks\[2\]\.mobile_inverted_conv\.in_channels: expected"):
        load_arch(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        load_arch(path)
    with pytest.raises(FileNotFoundError):
        load_arch(tmp_path / "missing.json")
