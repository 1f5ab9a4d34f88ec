"""The reference interpreters the compiler's outputs are checked against (PyPI ``tflite-micro`` and
``ai-edge-litert``), behind one call each: N int8 images in, N flattened outputs out."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def tflite_micro(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """TFLite Micro's Python interpreter on ``path``: images (N x H x W x C int8) -> N x outputs."""
    from tflite_micro.python.tflite_micro import runtime

    interpreter = runtime.Interpreter.from_file(str(path))

    def run(images: np.ndarray) -> np.ndarray:
        out = []
        for image in images:
            interpreter.set_input(image[None], 0)
            interpreter.invoke()
            out.append(interpreter.get_output(0).reshape(-1).copy())
        return np.stack(out)

    return run


def litert_reference(path: str | Path, preserve_all_tensors: bool = False):
    """LiteRT with its reference kernels (BUILTIN_REF: the default XNNPACK delegate fails on the r064 model),
    tensors allocated."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interpreter = Interpreter(
        model_path=str(path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
        experimental_preserve_all_tensors=preserve_all_tensors,
    )
    interpreter.allocate_tensors()
    return interpreter


def litert(path: str | Path) -> Callable[[np.ndarray], np.ndarray]:
    """:func:`litert_reference` as images (N x H x W x C int8) -> N x outputs."""
    interpreter = litert_reference(path)
    inp, outp = interpreter.get_input_details()[0]["index"], interpreter.get_output_details()[0]["index"]

    def run(images: np.ndarray) -> np.ndarray:
        out = []
        for image in images:
            interpreter.set_tensor(inp, image[None])
            interpreter.invoke()
            out.append(interpreter.get_tensor(outp).reshape(-1).copy())
        return np.stack(out)

    return run


def litert_tensors(path: str | Path, image: np.ndarray) -> dict[str, np.ndarray]:
    """Every tensor's value, by name, after LiteRT (reference kernels) ran one image."""
    interpreter = litert_reference(path, preserve_all_tensors=True)
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], image[None])
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]) for d in interpreter.get_tensor_details()}
