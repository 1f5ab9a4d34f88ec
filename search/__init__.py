"""tinyops.search: design-space exploration and NAS for TinyOps deployments.

- :class:`SearchSpace` samples MobileNet-style architectures (ProxylessNASNets JSON) through Optuna trials.
- :func:`build_model` makes the PyTorch model of any architecture JSON (same shapes, MACs and parameters as
  the C++ core); :func:`train`, :func:`evaluate` and :func:`naswot_score` give its accuracy at several
  fidelities; :func:`quantize` is the int8 post-training quantization.
- :func:`load_data` reads Fashion-MNIST (the default) or an ImageFolder tree.
"""

from tinyops.search._data import ImageData, ImageSplit, load_data, load_fashion_mnist, load_image_folder
from tinyops.search._quantize import INT8_METHOD, QuantizedNet, fold_batchnorm, quantize
from tinyops.search._space import FAMILIES, IMAGENET_RESOLUTIONS, SearchSpace
from tinyops.search._torch_model import ArchNet, build_model, default_device, layer_profile
from tinyops.search._train import TrainConfig, evaluate, naswot_score, train

__all__ = [
    "FAMILIES",
    "IMAGENET_RESOLUTIONS",
    "INT8_METHOD",
    "ArchNet",
    "ImageData",
    "ImageSplit",
    "QuantizedNet",
    "SearchSpace",
    "TrainConfig",
    "build_model",
    "default_device",
    "evaluate",
    "fold_batchnorm",
    "layer_profile",
    "load_data",
    "load_fashion_mnist",
    "load_image_folder",
    "naswot_score",
    "quantize",
    "train",
]
