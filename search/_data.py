"""Image data for training candidates: Fashion-MNIST (idx files, the default) and ImageFolder trees.

Both sources hold images as uint8 tensors at a native square size; `batches` resizes each batch to the
architecture's resolution (bilinear), replicates grayscale to 3 channels (the searched networks take RGB
input, as the ImageNet-scale networks of the paper do, so their latencies stay comparable) and normalises to
[-1, 1]. No torchvision: these few transforms are all the search needs.
"""

from __future__ import annotations

import gzip
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_MNIST_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "val": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".ppm", ".pgm", ".tif", ".tiff", ".webp"}


@dataclass
class ImageSplit:
    """Images of one split as uint8 [N, C, S, S] with int64 labels [N]."""

    images: torch.Tensor
    labels: torch.Tensor

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def subset(self, count: int | None, seed: int) -> ImageSplit:
        """`count` images drawn without replacement (seeded), or all when count is None or too large."""
        if count is None or count >= len(self):
            return self
        index = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:count]
        return ImageSplit(self.images[index], self.labels[index])


@dataclass
class ImageData:
    """A data set with a training and a validation split."""

    name: str
    classes: list[str]
    train: ImageSplit
    val: ImageSplit

    @property
    def num_classes(self) -> int:
        return len(self.classes)


def _read_idx(path: Path, expected_dims: int) -> np.ndarray:
    """Read one (gzipped) idx file; errors name the file and what was expected."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: idx file not found")
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as f:
            data = f.read()
    except (OSError, EOFError) as exc:
        raise ValueError(f"{path}: cannot be read as a gzip idx file ({exc})") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f"{path}: (header): expected an idx file of unsigned bytes (magic 0x0000 08 nn)")
    dims = data[3]
    if dims != expected_dims:
        raise ValueError(f"{path}: (header): expected {expected_dims} dimensions, got {dims}")
    shape = struct.unpack(f">{dims}I", data[4 : 4 + 4 * dims])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims)
    if body.size != int(np.prod(shape)):
        raise ValueError(f"{path}: (body): expected {int(np.prod(shape))} bytes for shape {shape}, got {body.size}")
    return body.reshape(shape)


def is_fashion_mnist_dir(path: Path) -> bool:
    return all((path / name).is_file() for files in FASHION_MNIST_FILES.values() for name in files)


def load_fashion_mnist(directory: str | Path = FASHION_MNIST_DIR) -> ImageData:
    """Fashion-MNIST from its four idx files (Debian's dataset-fashion-mnist puts them in FASHION_MNIST_DIR)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory}: Fashion-MNIST directory not found (Debian package "
            "dataset-fashion-mnist; scripts/setup.sh installs it)"
        )
    splits = {}
    for split, (images_name, labels_name) in FASHION_MNIST_FILES.items():
        images = _read_idx(directory / images_name, 3)
        labels = _read_idx(directory / labels_name, 1)
        if images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{directory / labels_name}: expected {images.shape[0]} labels (one per image), got {labels.shape[0]}"
            )
        splits[split] = ImageSplit(
            torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64))
        )
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    return ImageData("fashion-mnist", classes, splits["train"], splits["val"])


def _load_image(path: Path, size: int) -> np.ndarray:
    """One image as uint8 [3, size, size]: shorter side resized to `size`, centre crop (ImageNet practice)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            img = opened.convert("RGB")
            w, h = img.size
            scale = size / min(w, h)
            img = img.resize((max(size, round(w * scale)), max(size, round(h * scale))), Image.Resampling.BILINEAR)
            w, h = img.size
            left, top = (w - size) // 2, (h - size) // 2
            img = img.crop((left, top, left + size, top + size))
            return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{path}: not a readable image ({exc})") from None


def _scan_tree(root: Path) -> tuple[list[str], list[tuple[Path, int]]]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not classes:
        raise ValueError(
            f"{root}: expected ImageFolder layout (one sub-directory of images per class), found no class directories"
        )
    samples: list[tuple[Path, int]] = []
    for label, name in enumerate(classes):
        files = sorted(p for p in (root / name).rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(
                f"{root / name}: class directory holds no images (expected files ending in "
                f"{', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        samples.extend((f, label) for f in files)
    return classes, samples


def _load_samples(samples: Sequence[tuple[Path, int]], size: int) -> ImageSplit:
    images = np.stack([_load_image(path, size) for path, _ in samples])
    labels = np.array([label for _, label in samples], dtype=np.int64)
    return ImageSplit(torch.from_numpy(images), torch.from_numpy(labels))


def load_image_folder(
    root: str | Path, *, size: int = 64, val_fraction: float = 0.2, seed: int = 0, max_images: int | None = None
) -> ImageData:
    """An ImageFolder tree (`root/<class>/<image>`, or `root/train/<class>/...` + `root/val/<class>/...`).

    Images are loaded once at `size` x `size` (the largest resolution the search trains at is enough);
    a tree without train/val splits is split deterministically (`val_fraction`, `seed`). `max_images` caps
    what is read per split, for trees larger than memory.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: dataset directory not found")
    rng = np.random.default_rng(seed)
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes, train = _scan_tree(root / "train")
        val_classes, val = _scan_tree(root / "val")
        if val_classes != classes:
            raise ValueError(
                f"{root / 'val'}: expected the same class directories as {root / 'train'} "
                f"({classes}), got {val_classes}"
            )
    else:
        classes, samples = _scan_tree(root)
        order = rng.permutation(len(samples))
        n_val = max(1, int(round(len(samples) * val_fraction)))
        if n_val >= len(samples):
            raise ValueError(f"{root}: too few images ({len(samples)}) to split off a validation set")
        val = [samples[i] for i in order[:n_val]]
        train = [samples[i] for i in order[n_val:]]
    if max_images is not None:
        train = [train[i] for i in sorted(rng.permutation(len(train))[:max_images])]
        val = [val[i] for i in sorted(rng.permutation(len(val))[:max_images])]
    return ImageData(root.name, classes, _load_samples(train, size), _load_samples(val, size))


def load_data(directory: str | Path | None = None, *, image_size: int = 64) -> ImageData:
    """Fashion-MNIST when `directory` is None or holds its idx files, an ImageFolder tree otherwise."""
    if directory is None:
        return load_fashion_mnist()
    path = Path(directory)
    if path.is_dir() and is_fashion_mnist_dir(path):
        return load_fashion_mnist(path)
    return load_image_folder(path, size=image_size)


def to_input(images: torch.Tensor, resolution: int, channels: int = 3) -> torch.Tensor:
    """uint8 [N, C, S, S] -> float [N, channels, resolution, resolution] in [-1, 1]."""
    x = images.float().div_(127.5).sub_(1.0)
    if x.shape[-1] != resolution or x.shape[-2] != resolution:
        x = F.interpolate(x, size=(resolution, resolution), mode="bilinear", align_corners=False)
    if x.shape[1] != channels:
        if x.shape[1] == 1:
            x = x.expand(-1, channels, -1, -1)
        elif channels == 1:
            x = x.mean(dim=1, keepdim=True)
        else:
            raise ValueError(f"images have {x.shape[1]} channels; the network expects {channels}")
    return x.contiguous()


def batches(
    split: ImageSplit,
    resolution: int,
    batch_size: int,
    *,
    shuffle: bool,
    seed: int = 0,
    channels: int = 3,
    device: torch.device | str = "cpu",
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """One pass over `split` in batches at `resolution` (seeded order when shuffled)."""
    n = len(split)
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)) if shuffle else torch.arange(n)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield (to_input(split.images[index], resolution, channels).to(device), split.labels[index].to(device))
