"""The handoff file (HANDOFF.md): round trip and strict validation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tinyops.compiler import evaluate, load_model, save_model
from tinyops.compiler._handoff import model_to_json


def test_round_trip_keeps_every_bit(tmp_path: Path, r064_model, r064_inputs) -> None:
    path = save_model(r064_model, tmp_path / "r064")
    assert path.suffix == ".npz"
    loaded = load_model(path)
    assert model_to_json(loaded) == model_to_json(r064_model)
    for a, b in zip(loaded.ops, r064_model.ops):
        for field in ("weights", "bias", "weight_scales", "multipliers", "shifts"):
            x, y = getattr(a, field), getattr(b, field)
            assert (x is None and y is None) or np.array_equal(x, y), (a.name, field)
        assert (a.act_min, a.act_max, a.add_params) == (b.act_min, b.act_max, b.add_params)
    np.testing.assert_array_equal(evaluate(loaded, r064_inputs[:2]), evaluate(r064_model, r064_inputs[:2]))


def _rewrite(path: Path, out: Path, edit) -> Path:
    with np.load(path) as npz:
        arrays = {k: npz[k] for k in npz.files}
    doc = json.loads(str(arrays["model_json"]))
    edit(doc, arrays)
    arrays["model_json"] = np.array(json.dumps(doc))
    np.savez(out, **arrays)
    return out


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d, a: d.update(version=2), r"version: expected 1, got 2"),
        (lambda d, a: d["ops"][0].update(stride=[2]), r"ops\[0\]\.stride: expected a list of 2 integers"),
        (lambda d, a: d["ops"][3].update(colour="red"), r"ops\[3\]\.colour: unknown key"),
        (lambda d, a: d["ops"][0].update(kind="conv3d"), r"ops\[0\]\.kind: expected one of"),
        (lambda d, a: d["tensors"][1].update(zero_point=300), r"tensors\[1\].*zero_point: expected -128 \.\.\. 127"),
        (lambda d, a: d["ops"][5].update(inputs=[999]), r"ops\[5\].*tensor index 999 out of range"),
        (
            lambda d, a: a.update({"ops/0/weights": a["ops/0/weights"].astype(np.int16)}),
            r"ops/0/weights: expected dtype int8",
        ),
        (
            lambda d, a: a.update({"ops/0/bias": a["ops/0/bias"][:3]}),
            r"ops\[0\].*bias: expected int32 of shape \(12,\)",
        ),
        (lambda d, a: a.update({"extra": np.zeros(1)}), r"extra: unknown array"),
        (lambda d, a: d["ops"][0].update(padding=[0, 0, 0, 0]), r"ops\[0\].*output shape: expected \(31, 31\)"),
    ],
)
def test_bad_handoff_is_one_clear_error(tmp_path: Path, r064_model, edit, message: str) -> None:
    good = save_model(r064_model, tmp_path / "good.npz")
    bad = _rewrite(good, tmp_path / "bad.npz", edit)
    with pytest.raises(ValueError, match=message):
        load_model(bad)


def test_not_an_npz(tmp_path: Path) -> None:
    bad = tmp_path / "x.npz"
    bad.write_text("hello")
    with pytest.raises(ValueError, match=r"x\.npz: not a handoff \.npz"):
        load_model(bad)
