"""The quantized-model handoff (HANDOFF.md): one ``.npz`` holding the IR as JSON plus its constant arrays.

What the search's PyTorch PTQ exporter writes and the compiler reads. Only what a quantizer decides is
stored (scales, zero points, int8 weights, int32 biases); the integer requantization parameters are derived
on load by :func:`derive_integer_params`, the one place they are computed.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any, Literal, overload

import numpy as np

from tinyops.compiler._ir import OpKind, Padding, QuantizedModel, QuantizedOp, QuantizedTensor, derive_integer_params

FORMAT = "tinyops-quantized-model"
VERSION = 1
_JSON_KEY = "model_json"
_ARRAYS = {"weights": np.int8, "weight_scales": np.float32, "bias": np.int32}
_MODEL_KEYS = {
    "format",
    "version",
    "name",
    "input",
    "output",
    "metadata",
    "tensors",
    "ops",
    "float_input",
    "float_output",
}
_TENSOR_KEYS = {"name", "shape", "scale", "zero_point"}
_OP_KEYS = {
    "kind",
    "name",
    "inputs",
    "output",
    "kernel",
    "stride",
    "dilation",
    "padding",
    "activation",
    "depth_multiplier",
    "weight_zero_point",
    "pre_activation_scale",
    "pre_activation_zero_point",
    "beta",
}


def model_to_json(model: QuantizedModel) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": model.name,
        "input": model.input,
        "output": model.output,
        "metadata": dict(model.metadata),
        **({"float_input": True} if model.float_input else {}),
        **({"float_output": True} if model.float_output else {}),
        "tensors": [
            {
                "name": t.name,
                "shape": list(t.shape),
                "scale": float(np.float32(t.scale)),
                "zero_point": int(t.zero_point),
            }
            for t in model.tensors
        ],
        "ops": [
            {
                "kind": op.kind.value,
                "name": op.name,
                "inputs": list(op.inputs),
                "output": op.output,
                "kernel": list(op.kernel),
                "stride": list(op.stride),
                "dilation": list(op.dilation),
                "padding": [op.padding.top, op.padding.left, op.padding.bottom, op.padding.right],
                "activation": op.activation,
                "depth_multiplier": op.depth_multiplier,
                "weight_zero_point": op.weight_zero_point,
                **(
                    {
                        "pre_activation_scale": float(np.float32(op.pre_activation_scale)),
                        "pre_activation_zero_point": op.pre_activation_zero_point,
                    }
                    if op.activation == "hard_swish"
                    else {}
                ),
                **({"beta": float(np.float32(op.beta))} if op.kind == OpKind.SOFTMAX else {}),
            }
            for op in model.ops
        ],
    }


def save_model(model: QuantizedModel, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (an ``.npz``; the suffix is added if missing)."""
    model.validate()
    constants = [t.name for t in model.tensors if t.data is not None]
    if constants:
        raise ValueError(
            f"{model.source}: tensors {constants}: the handoff format (version {VERSION}) holds no constant operands"
        )
    path = Path(path)
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    arrays: dict[str, np.ndarray] = {_JSON_KEY: np.array(json.dumps(model_to_json(model), indent=1))}
    for k, op in enumerate(model.ops):
        for field, dtype in _ARRAYS.items():
            value = getattr(op, field)
            if value is not None:
                arrays[f"ops/{k}/{field}"] = np.ascontiguousarray(value, dtype=dtype)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays)  # type: ignore[arg-type]  # numpy's stub types **kwds like allow_pickle
    return path


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, what: str) -> ValueError:
        return ValueError(f"{self.source}: {where}: {what}")

    def keys(self, obj: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(obj, dict):
            raise self.fail(where, f"expected an object, got {type(obj).__name__}")
        unknown = set(obj) - allowed
        if unknown:
            raise self.fail(f"{where}.{sorted(unknown)[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")
        missing = required - set(obj)
        if missing:
            raise self.fail(f"{where}.{sorted(missing)[0]}", "missing")
        return obj

    @overload
    def ints(self, value: Any, where: str, count: Literal[2]) -> tuple[int, int]: ...
    @overload
    def ints(self, value: Any, where: str, count: Literal[3]) -> tuple[int, int, int]: ...
    @overload
    def ints(self, value: Any, where: str, count: int) -> tuple[int, ...]: ...
    def ints(self, value: Any, where: str, count: int) -> tuple[int, ...]:
        if (
            not isinstance(value, list)
            or len(value) != count
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            raise self.fail(where, f"expected a list of {count} integers, got {value!r}")
        return tuple(value)

    def int(self, value: Any, where: str) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(where, f"expected an integer, got {value!r}")
        return value

    def number(self, value: Any, where: str) -> float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise self.fail(where, f"expected a number, got {value!r}")
        return float(value)

    def str(self, value: Any, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"expected a string, got {value!r}")
        return value


def model_from_json(doc: Any, arrays: dict[str, np.ndarray], source: str) -> QuantizedModel:
    c = _Checker(source)
    doc = c.keys(doc, "model", _MODEL_KEYS, _MODEL_KEYS - {"metadata", "float_input", "float_output"})
    if doc["format"] != FORMAT:
        raise c.fail("format", f"expected {FORMAT!r}, got {doc['format']!r}")
    if doc["version"] != VERSION:
        raise c.fail("version", f"expected {VERSION}, got {doc['version']!r}")
    tensors = []
    for i, t in enumerate(doc["tensors"] if isinstance(doc["tensors"], list) else []):
        where = f"tensors[{i}]"
        c.keys(t, where, _TENSOR_KEYS, _TENSOR_KEYS)
        if not isinstance(t["scale"], (int, float)) or isinstance(t["scale"], bool):
            raise c.fail(f"{where}.scale", f"expected a number, got {t['scale']!r}")
        tensors.append(
            QuantizedTensor(
                c.str(t["name"], f"{where}.name"),
                c.ints(t["shape"], f"{where}.shape", 3),
                float(t["scale"]),
                c.int(t["zero_point"], f"{where}.zero_point"),
            )
        )
    if not isinstance(doc["ops"], list):
        raise c.fail("ops", "expected a list")
    ops = []
    for k, o in enumerate(doc["ops"]):
        where = f"ops[{k}]"
        c.keys(o, where, _OP_KEYS, {"kind", "name", "inputs", "output"})
        try:
            kind = OpKind(o["kind"])
        except ValueError:
            raise c.fail(f"{where}.kind", f"expected one of {[k.value for k in OpKind]}, got {o['kind']!r}") from None
        if not isinstance(o["inputs"], list):
            raise c.fail(f"{where}.inputs", "expected a list of tensor indices")
        op = QuantizedOp(
            kind=kind,
            name=c.str(o["name"], f"{where}.name"),
            inputs=list(c.ints(o["inputs"], f"{where}.inputs", len(o["inputs"]))),
            output=c.int(o["output"], f"{where}.output"),
            kernel=c.ints(o.get("kernel", [1, 1]), f"{where}.kernel", 2),
            stride=c.ints(o.get("stride", [1, 1]), f"{where}.stride", 2),
            dilation=c.ints(o.get("dilation", [1, 1]), f"{where}.dilation", 2),
            padding=Padding(*c.ints(o.get("padding", [0, 0, 0, 0]), f"{where}.padding", 4)),
            activation=c.str(o.get("activation", "none"), f"{where}.activation"),
            depth_multiplier=c.int(o.get("depth_multiplier", 1), f"{where}.depth_multiplier"),
            weight_zero_point=c.int(o.get("weight_zero_point", 0), f"{where}.weight_zero_point"),
            pre_activation_scale=c.number(o.get("pre_activation_scale", 0.0), f"{where}.pre_activation_scale"),
            pre_activation_zero_point=c.int(
                o.get("pre_activation_zero_point", 0), f"{where}.pre_activation_zero_point"
            ),
            beta=c.number(o.get("beta", 1.0), f"{where}.beta"),
        )
        for field, dtype in _ARRAYS.items():
            key = f"ops/{k}/{field}"
            if key in arrays:
                if arrays[key].dtype != dtype:
                    raise c.fail(key, f"expected dtype {np.dtype(dtype).name}, got {arrays[key].dtype}")
                setattr(op, field, arrays[key])
        ops.append(op)
    metadata = doc.get("metadata", {})
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise c.fail("metadata", "expected an object of strings")
    for key in ("float_input", "float_output"):
        if not isinstance(doc.get(key, False), bool):
            raise c.fail(key, f"expected true or false, got {doc[key]!r}")
    model = QuantizedModel(
        name=c.str(doc["name"], "name"),
        tensors=tensors,
        ops=ops,
        input=c.int(doc["input"], "input"),
        output=c.int(doc["output"], "output"),
        source=source,
        metadata=metadata,
        float_input=doc.get("float_input", False),
        float_output=doc.get("float_output", False),
    )
    return derive_integer_params(model)


def load_model(path: str | Path) -> QuantizedModel:
    """Read a handoff ``.npz`` (strictly: unknown keys, wrong dtypes and bad indices are errors)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such model file")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise ValueError(f"{path}: not a handoff .npz ({exc})") from None
    if _JSON_KEY not in arrays:
        raise ValueError(f"{path}: {_JSON_KEY}: missing (not a {FORMAT} file)")
    try:
        doc = json.loads(str(arrays.pop(_JSON_KEY)))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}: {_JSON_KEY}: invalid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("ops"), list):
        raise ValueError(f"{path}: {_JSON_KEY}: expected an object with an 'ops' list")
    known = {f"ops/{k}/{f}" for k in range(len(doc["ops"])) for f in _ARRAYS}
    stray = sorted(set(arrays) - known)
    if stray:
        raise ValueError(f"{path}: {stray[0]}: unknown array (expected ops/<k>/{{{','.join(_ARRAYS)}}})")
    return model_from_json(doc, arrays, str(path))


def load_any(path: str | Path) -> QuantizedModel:
    """A model from either front end, by suffix: ``.tflite`` or a handoff ``.npz``."""
    from tinyops.compiler._tflite import import_tflite

    path = Path(path)
    if path.suffix == ".tflite":
        return import_tflite(path)
    if path.suffix == ".npz":
        return load_model(path)
    raise ValueError(f"{path}: expected a .tflite model or a handoff .npz, got suffix {path.suffix!r}")
