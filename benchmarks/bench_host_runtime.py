"""Images/s of int8 inference on the r064 ImageNet model on this host, side by side in one run:
tinyops' host runtime (the firmware's kernels through ``tinyops._core``, where built), the compiler's numpy
reference evaluator, TFLite Micro's Python interpreter and LiteRT with its reference kernels (BUILTIN_REF:
the default XNNPACK delegate fails on this model). Every engine's logits are checked against TFLite Micro's
on the same images; the figures are printed, never asserted.

    .venv/bin/python benchmarks/bench_host_runtime.py [--images 200]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
MODEL = "models/tflite/proxyless-w0.30-r064_int8.tflite"


def _model_path() -> Path:
    for shared in (REPO.parent / "shared", REPO.parent.parent / "shared"):
        if (shared / MODEL).is_file():
            return shared / MODEL
    raise SystemExit(f"bench_host_runtime: {REPO.parent / 'shared' / MODEL} is absent")


def _numpy_reference(path: Path) -> Callable[[np.ndarray], np.ndarray]:
    from tinyops.compiler import evaluate, import_tflite

    model = import_tflite(path)
    return lambda images: evaluate(model, images).reshape(len(images), -1)


def _host_runtime(path: Path) -> Any:
    """The host runtime on the external-strategy blob, or why it cannot run in this build."""
    from tinyops import _core
    from tinyops.compiler import HostRuntime, compile_model, host_runtime_available

    if not host_runtime_available():
        return "tinyops._core was built without the firmware runtime"
    if not hasattr(_core, "plan"):
        return "tinyops._core has no planner to plan the blob"
    runtime = HostRuntime(compile_model(path, board="qemu-mps2-an500", strategy="external").blob)
    return runtime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    args = parser.parse_args()
    path = _model_path()
    images = np.random.default_rng(0).integers(-128, 128, size=(args.images, 64, 64, 3), dtype=np.int8)
    from tinyops.compiler import _interpreters

    engines = {
        "tflite-micro": _interpreters.tflite_micro(path),
        "ai-edge-litert (BUILTIN_REF)": _interpreters.litert(path),
        "tinyops numpy reference": _numpy_reference(path),
    }
    host = _host_runtime(path)
    if isinstance(host, str):
        print(f"tinyops host runtime: skipped ({host})")
    else:
        threads = os.cpu_count() or 1
        engines = {
            "tinyops host runtime (1 thread)": lambda x: host.run(x, threads=1).reshape(len(x), -1),
            f"tinyops host runtime ({threads} threads)": lambda x: host.run(x, threads=threads).reshape(len(x), -1),
            **engines,
        }
    results: dict[str, tuple[float, np.ndarray]] = {}
    for name, run in engines.items():
        run(images[:2])  # warm up
        start = time.perf_counter()
        logits = run(images)
        results[name] = (args.images / (time.perf_counter() - start), logits)
    truth = results["tflite-micro"][1]
    base = results["tflite-micro"][0]
    print(f"r064 ImageNet model, {args.images} random int8 images; the interpreters use one thread")
    print(f"{'engine':32s} {'images/s':>10s} {'vs tflite-micro':>16s} {'ms/image':>9s}  bit-exact")
    for name, (rate, logits) in results.items():
        exact = "yes" if np.array_equal(logits, truth) else f"NO ({int((logits != truth).sum())} logits differ)"
        print(f"{name:32s} {rate:10.1f} {rate / base:15.2f}x {1000 / rate:9.3f}  {exact}")


if __name__ == "__main__":
    main()
