from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import torch
from search_helpers import write_tree

from tinyops.search import load_data, load_fashion_mnist, load_image_folder
from tinyops.search._data import FASHION_MNIST_DIR, batches, is_fashion_mnist_dir, to_input


def test_image_folder_flat_tree_is_split(tmp_path: Path) -> None:
    write_tree(tmp_path / "tree", per_class=5, size=(20, 14), splits=False)
    data = load_image_folder(tmp_path / "tree", size=16, val_fraction=0.2, seed=1)
    assert data.classes == ["class_0", "class_1", "class_2"]
    assert len(data.train) + len(data.val) == 15 and len(data.val) == 3
    assert data.train.images.shape[1:] == (3, 16, 16) and data.train.images.dtype == torch.uint8
    again = load_image_folder(tmp_path / "tree", size=16, val_fraction=0.2, seed=1)
    assert torch.equal(again.val.labels, data.val.labels)


def test_image_folder_train_val_tree(tmp_path: Path) -> None:
    write_tree(tmp_path / "t", per_class=4)
    data = load_data(tmp_path / "t", image_size=24)
    assert (len(data.train), len(data.val), data.num_classes) == (12, 6, 3)
    x, y = next(batches(data.train, 32, 5, shuffle=True))
    assert x.shape == (5, 3, 32, 32) and -1.0 <= float(x.min()) and float(x.max()) <= 1.0
    assert y.dtype == torch.int64


def test_missing_and_malformed_trees(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere: dataset directory not found"):
        load_image_folder(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class directories"):
        load_image_folder(tmp_path / "empty")
    write_tree(tmp_path / "holes", per_class=2, splits=False)
    (tmp_path / "holes" / "class_9").mkdir()
    with pytest.raises(ValueError, match=r"class_9: class directory holds no images"):
        load_image_folder(tmp_path / "holes")
    write_tree(tmp_path / "corrupt", per_class=2, splits=False)
    (tmp_path / "corrupt" / "class_1" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match=r"bad\.png: not a readable image"):
        load_image_folder(tmp_path / "corrupt")


def test_grayscale_is_replicated_and_resized() -> None:
    images = torch.arange(2 * 28 * 28, dtype=torch.int64).reshape(2, 1, 28, 28).remainder(256).to(torch.uint8)
    x = to_input(images, 40)
    assert x.shape == (2, 3, 40, 40)
    assert torch.equal(x[:, 0], x[:, 2])


def test_fashion_mnist_from_debian() -> None:
    if not is_fashion_mnist_dir(FASHION_MNIST_DIR):
        pytest.skip(f"Debian's dataset-fashion-mnist is not installed ({FASHION_MNIST_DIR})")
    data = load_fashion_mnist()
    assert (len(data.train), len(data.val), data.num_classes) == (60000, 10000, 10)
    assert data.train.images.shape[1:] == (1, 28, 28)
    assert set(data.val.labels.unique().tolist()) == set(range(10))


def test_malformed_idx_file_is_named(tmp_path: Path) -> None:
    for name in (
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ):
        with gzip.open(tmp_path / name, "wb") as f:
            f.write(bytes([0, 0, 8, 1]) + (4).to_bytes(4, "big") + bytes(4))
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: \(header\): expected 3 dimensions"):
        load_fashion_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte\.gz: cannot be read"):
        load_fashion_mnist(tmp_path)
