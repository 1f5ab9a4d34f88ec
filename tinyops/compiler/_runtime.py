"""The firmware runtime on the host: a blob loaded by the firmware's loader and run by its executor and
kernels (``tinyops._core.HostRuntime``), in batches, without the GIL."""

from __future__ import annotations

import os
from typing import Any

import numpy as np


def host_runtime_available() -> bool:
    from tinyops import _core

    return hasattr(_core, "HostRuntime")


class HostRuntime:
    """``HostRuntime(blob).run(images)``: N x H x W x C int8 in, N x h x w x c int8 out (bit-exact with the
    firmware on a board, which runs the same code)."""

    def __init__(self, blob: bytes) -> None:
        from tinyops import _core

        if not host_runtime_available():
            raise RuntimeError(
                "this build of tinyops._core has no firmware runtime (firmware/CMakeLists.txt "
                "was absent when it was built)"
            )
        self._runtime = _core.HostRuntime(bytes(blob))  # ValueError naming the record and field if bad
        self.input_shape = tuple(self._runtime.input_shape)
        self.output_shape = tuple(self._runtime.output_shape)

    def run(self, images: np.ndarray, threads: int | None = None) -> np.ndarray:
        """Outputs of ``images``; ``threads`` workers (default: every CPU) each run a contiguous chunk."""
        images = np.asarray(images)
        single = images.shape == self.input_shape
        batch = images[None] if single else images
        if images.dtype != np.int8 or batch.shape[1:] != self.input_shape:
            raise ValueError(
                f"images: expected int8 of shape (N, {', '.join(map(str, self.input_shape))}), got "
                f"{images.dtype} {images.shape}"
            )
        threads = threads if threads is not None else (os.cpu_count() or 1)
        out = self._runtime.run(np.ascontiguousarray(batch).reshape(len(batch), -1), threads)
        out = out.reshape(len(batch), *self.output_shape)
        return out[0] if single else out

    def last_results(self) -> dict[str, Any]:
        """Per-op timings of the last image: {"unit", "total_cycles", "ops": [{cycles, dma_wait_cycles, parts,
        dma_bytes}, ...]}."""
        return self._runtime.last_results()
