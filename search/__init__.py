"""tinyops.search: design-space exploration and NAS for TinyOps deployments.

- :class:`SearchSpace` samples MobileNet-style architectures (ProxylessNASNets JSON) through Optuna trials.
- :func:`build_model` makes the PyTorch model of any architecture JSON (same shapes, MACs and parameters as
  the C++ core); :func:`train`, :func:`evaluate` and :func:`naswot_score` give its accuracy at several
  fidelities; :func:`quantize` is the int8 post-training quantization.
- :func:`load_data` reads Fashion-MNIST (the default) or an ImageFolder tree.
"""

from __future__ import annotations

import importlib
from typing import Any

# Public name -> private module. Imported on first use, so that opening the results store (which imports this
# package's tables) does not import PyTorch.
_EXPORTS = {
    "ImageData": "_data",
    "ImageSplit": "_data",
    "load_data": "_data",
    "load_fashion_mnist": "_data",
    "load_image_folder": "_data",
    "INT8_METHOD": "_quantize",
    "QuantizedNet": "_quantize",
    "fold_batchnorm": "_quantize",
    "quantize": "_quantize",
    "FAMILIES": "_space",
    "IMAGENET_RESOLUTIONS": "_space",
    "SearchSpace": "_space",
    "ArchNet": "_torch_model",
    "build_model": "_torch_model",
    "default_device": "_torch_model",
    "layer_profile": "_torch_model",
    "TrainConfig": "_train",
    "evaluate": "_train",
    "naswot_score": "_train",
    "train": "_train",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tinyops.search' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"tinyops.search.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
