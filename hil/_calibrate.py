"""`tinyops calibrate`: fit a board's kernel costs to its stored measurements and write the next version."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from tinyops.hil._measure import calibration_samples
from tinyops.hil._pipeline import load_board
from tinyops.hil._store import HilCalibration
from tinyops.latency_model._calibration import Calibration, fit_kernel_costs
from tinyops.store import Store


@dataclass
class CalibrationReport:
    board: str
    from_version: int
    to_version: int
    unit: str
    path: Path
    fit: Calibration  # what the new board version holds, with its held-out figures


def fitted_board_yaml(board_yaml: str, fit: Calibration, ref: str) -> str:
    """The board's YAML with the fitted parameters (provenance `fit`) and the version incremented."""
    doc = yaml.safe_load(board_yaml)
    doc["version"] = int(doc["version"]) + 1
    for kind, terms in fit.kernels.items():
        for term, value in terms.items():
            doc["kernels"][kind][term] = {"value": round(value, 6), "source": "fit", "ref": ref}
    if fit.copy_cycles_per_byte is not None:
        doc["cpu"]["memcpy_cycles_per_byte"] = {"value": round(fit.copy_cycles_per_byte, 6), "source": "fit",
                                                "ref": ref}
    return yaml.safe_dump(doc, sort_keys=False, width=120)


def calibrate_board(store: Store, board_name: str, target: str, out: Path | None, test_share: float = 0.25,
                    seed: int = 0) -> CalibrationReport:
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    board = load_board(board_name)
    samples = calibration_samples(store, board.name, board.version, target)
    if not samples:
        raise ValueError(f"calibrate: no measurements of {board.name} v{board.version} on {target} in {store.url} "
                         "(run `tinyops hil microbench` first)")
    fit = fit_kernel_costs(samples, fit_copy_cost=not board.dma, test_share=test_share, seed=seed)
    unit = "instructions" if target == "qemu" else "cycles"
    ref = (f"NNLS fit to {fit.train_ops} per-op {unit} ({fit.train_cases} cases) measured on {target} (board "
           f"v{board.version}); held-out {fit.test_ops} ops ({fit.test_cases} cases): MAPE {fit.mape:.2f} %, "
           f"{fit.within_10pct:.1f} % within ±10 %")
    text = fitted_board_yaml(board.to_yaml(), fit, ref)
    path = out or Path(f"{board.name}-v{board.version + 1}.yaml")
    new_board = _core.board_from_yaml(text, str(path))  # the new version validates like any board file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    with store.session() as session:
        session.add(HilCalibration(
            board=board.name, from_version=board.version, to_version=new_board.version, target=target,
            train_ops=fit.train_ops, test_ops=fit.test_ops, mape=fit.mape, within_10pct=fit.within_10pct,
            report_json=json.dumps({"kernels": fit.kernels, "memcpy_cycles_per_byte": fit.copy_cycles_per_byte,
                                    "train_cases": fit.train_cases, "test_cases": fit.test_cases,
                                    "seed": seed, "test_share": test_share,
                                    "per_kind": [asdict(r) for r in fit.per_kind], "board_yaml": text})))
    return CalibrationReport(board.name, board.version, new_board.version, unit, path, fit)
