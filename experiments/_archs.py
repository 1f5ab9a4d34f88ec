"""The paper's model families rebuilt as architectures, their width x resolution grids, and their published
ImageNet accuracies (experiments/data/imagenet_accuracy.csv; nothing is trained on ImageNet here).

Every architecture comes from the project's one generator, `tinyops.latency_model.examples.build_arch`:
MobileNetV2, MobileNetV3-Large without squeeze-and-excitation and MNASNet-B1 are its stage tables; the
ProxylessNAS-Mobile-style and MCUNet-style families below are per-block stage tables of the same generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from tinyops.latency_model import examples
from tinyops.latency_model.examples import Stage

ACCURACY_CSV = Path(__file__).resolve().parent / "data" / "imagenet_accuracy.csv"


def _blocks(out_channels: int, stride: int, blocks: Iterable[tuple[int, float]]) -> list[Stage]:
    """One stage as per-block (kernel, expansion) choices: the first block has `stride`, the others 1."""
    return [Stage(out_channels, 1, stride if i == 0 else 1, k, e) for i, (k, e) in enumerate(blocks)]


# ProxylessNAS-Mobile style (Cai et al., ICLR 2019, the mobile model's figure): per block kernel 3/5/7 and
# expansion 3/6, MobileNetV2's widths and strides.
PROXYLESS_STAGES = (
    _blocks(24, 2, [(5, 3), (3, 3)])
    + _blocks(40, 2, [(7, 3), (3, 3), (5, 3), (5, 3)])
    + _blocks(80, 2, [(7, 6), (5, 3), (5, 3), (5, 3)])
    + _blocks(96, 1, [(5, 6), (5, 3), (5, 3), (5, 3)])
    + _blocks(192, 2, [(7, 6), (7, 6), (7, 3), (7, 3)])
    + _blocks(320, 1, [(7, 6)])
)
# MCUNet style (Lin et al., NeurIPS 2020: TinyNAS on the MobileNetV2 backbone): large kernels early where
# maps are big, expansions 3-6, shallower than MobileNetV2. A representative of the space, not a released net.
MCUNET_STAGES = (
    _blocks(24, 2, [(7, 3), (3, 4)])
    + _blocks(40, 2, [(7, 4), (5, 3), (5, 3)])
    + _blocks(80, 2, [(5, 4), (5, 4), (3, 4)])
    + _blocks(96, 1, [(5, 4), (3, 4)])
    + _blocks(192, 2, [(7, 6), (5, 4), (5, 4)])
    + _blocks(320, 1, [(3, 6)])
)


def proxyless(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> dict[str, Any]:
    return examples.build_arch(
        PROXYLESS_STAGES,
        first_channels=32,
        feature_mix_channels=1280,
        width_mult=width_mult,
        resolution=resolution,
        num_classes=num_classes,
    )


def mcunet(width_mult: float = 1.0, resolution: int = 224, num_classes: int = 1000) -> dict[str, Any]:
    return examples.build_arch(
        MCUNET_STAGES,
        first_channels=32,
        feature_mix_channels=None,
        width_mult=width_mult,
        resolution=resolution,
        num_classes=num_classes,
    )


FAMILIES: dict[str, Callable[..., dict[str, Any]]] = {
    "mbv2": examples.mobilenet_v2,
    "mbv3": examples.mobilenet_v3,  # MobileNetV3-Large without SE, as in the paper's zoo
    "proxyless": proxyless,
    "mnasnet": examples.mnasnet,
    "mcunet": mcunet,
}
FAMILY_TITLES = {
    "mbv2": "MobileNetV2",
    "mbv3": "MobileNetV3 (no SE)",
    "proxyless": "ProxylessNAS-Mobile-style",
    "mnasnet": "MNASNet-B1",
    "mcunet": "MCUNet-style",
}


@dataclass(frozen=True)
class Grid:
    families: tuple[str, ...]
    width_mults: tuple[float, ...]
    resolutions: tuple[int, ...]

    def archs(self) -> list[tuple[str, str, float, int, dict[str, Any]]]:
        """(name, family, width, resolution, arch JSON) for every point of the grid."""
        out = []
        for family in self.families:
            for w in self.width_mults:
                for r in self.resolutions:
                    out.append((f"{family}-w{w:.2f}-r{r}", family, w, r, FAMILIES[family](w, r)))
        return out


FULL_GRID = Grid(tuple(FAMILIES), (0.35, 0.5, 0.75, 1.0, 1.4), (96, 112, 128, 144, 160, 176, 192, 208, 224))
QUICK_GRID = Grid(tuple(FAMILIES), (0.35, 1.0), (96, 160, 224))


def published_accuracy() -> pd.DataFrame:
    """The data file, checked: every row names a citation and a URL, top-1 within (0, 100]."""
    frame = pd.read_csv(ACCURACY_CSV)
    for i, row in frame.iterrows():
        where = f"{ACCURACY_CSV}: row {i + 2}"
        if not (0 < float(row["top1"]) <= 100):
            raise ValueError(f"{where}: top1: expected a percentage in (0, 100], got {row['top1']}")
        for col in ("citation", "url"):
            if not isinstance(row[col], str) or not row[col].strip():
                raise ValueError(f"{where}: {col}: expected non-empty text")
    return frame


def accuracy_of(family: str, width_mult: float, resolution: int, table: pd.DataFrame) -> float:
    """The published top-1 of this exact (family, width, resolution), or NaN when none is published."""
    rows = table[(table["family"] == family)]
    for row in rows.itertuples():
        try:
            if math.isclose(float(row.width_mult), width_mult) and int(float(row.resolution)) == resolution:
                return float(row.top1)
        except ValueError:
            continue
    return math.nan
