"""`tinyops calibrate`: fit a board's kernel costs to its stored measurements and write the next version."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from tinyops.hil._measure import calibration_samples, measured_versions
from tinyops.hil._pipeline import load_board
from tinyops.hil._store import HilCalibration
from tinyops.latency_model import BOARDS_DIR
from tinyops.latency_model._calibration import Calibration, OpSample, UnderdeterminedFit, Undetermined, fit_kernel_costs
from tinyops.store import Store


@dataclass
class CalibrationReport:
    board: str
    from_version: int
    to_version: int
    unit: str
    path: Path
    fit: Calibration  # what the new board version holds, with its held-out figures
    store_url: str = ""
    train_mape: float = float("nan")  # on the training ops, when nothing is held out
    train_within_10pct: float = float("nan")
    not_fitted: str = ""  # the kinds the measurements leave undetermined, and what to measure (one line)


def fitted_board_yaml(board_yaml: str, fit: Calibration, ref: str) -> str:
    """The board's YAML with the fitted parameters (provenance `fit`) and the version incremented."""
    doc = yaml.safe_load(board_yaml)
    doc["version"] = int(doc["version"]) + 1
    for kind, terms in fit.kernels.items():
        for term, value in terms.items():
            doc["kernels"][kind][term] = {"value": round(value, 6), "source": "fit", "ref": ref}
    if fit.copy_cycles_per_byte is not None:
        doc["cpu"]["memcpy_cycles_per_byte"] = {
            "value": round(fit.copy_cycles_per_byte, 6),
            "source": "fit",
            "ref": ref,
        }
    return yaml.safe_dump(doc, sort_keys=False, width=120)


def _q(value: Any, source: str, ref: str) -> str:
    return f"{{value: {value}, source: {source}, ref: {json.dumps(ref, ensure_ascii=False)}}}"


def fitted_board_text(board_text: str, fit: Calibration, ref: str, source: str = "fit") -> str:
    """The board file's own text with the version incremented, the copy cost and every kernel term the fit
    determined replaced (provenance `source`), in the catalog's layout: comments and the other sections stay
    as written, the kernels section is rewritten one term a line (kinds and terms the fit leaves keep their
    values). Files of another layout fall back to `fitted_board_yaml`."""
    doc = yaml.safe_load(board_text)
    lines = board_text.splitlines()
    top = [i for i, line in enumerate(lines) if re.match(r"^[a-z_]+:", line)]
    version = [i for i in top if lines[i].startswith("version:")]
    kernels = [i for i in top if lines[i] == "kernels:"]
    copy = [i for i, line in enumerate(lines) if re.match(r"^  memcpy_cycles_per_byte: \{.*\}\s*$", line)]
    if len(version) != 1 or len(kernels) != 1 or len(copy) != 1:
        return fitted_board_yaml(board_text, fit, ref)
    end = next((i for i in top if i > kernels[0]), len(lines))
    lines[version[0]] = f"version: {int(doc['version']) + 1}"
    if fit.copy_cycles_per_byte is not None:
        lines[copy[0]] = f"  memcpy_cycles_per_byte: {_q(round(fit.copy_cycles_per_byte, 6), 'fit', ref)}"
    body = ["kernels:"]
    for kind, terms in doc["kernels"].items():
        body.append(f"  {kind}:")
        fitted = fit.kernels.get(kind, {})
        for term in dict.fromkeys([*terms, *fitted]):
            q = terms.get(term, {})
            if term in fitted:  # a replaced estimate stays on record in the ref
                was = f" (replaces the estimate {q['value']})" if q.get("source") == "estimate" and q["value"] else ""
                q = {"value": round(fitted[term], 6), "source": source, "ref": ref + was}
            body.append(f"    {term}: {_q(q['value'], q['source'], q['ref'])}")
    return "\n".join(lines[: kernels[0]] + body + lines[end:]) + "\n"


def microbench_command(board: str, target: str, store: Store) -> str:
    return f"tinyops hil microbench --board {board} --target {target} --store {store.url}"


def what_to_measure(kinds: list[Undetermined], samples: list[OpSample], board: str, target: str, store: Store) -> str:
    """One line: which kinds the measured ops leave undetermined, and the command that measures them."""
    cases = len({s.case for s in samples})
    return (
        f"{len(samples)} ops of {cases} measured model{'s' if cases > 1 else ''} do not determine "
        f"{', '.join(f'{k.kernel_kind} ({k.ops} ops for {k.terms} terms)' for k in kinds)}: measure the whole "
        f"calibration set: `{microbench_command(board, target, store)}`"
    )


def _samples_or_say_what_to_measure(store: Store, board: Any, target: str) -> list[OpSample]:
    samples = calibration_samples(store, board.name, board.version, target)
    if samples:
        return samples
    found = [f"v{v} on {t} ({n} runs)" for v, t, n in measured_versions(store, board.name)]
    raise ValueError(
        f"calibrate: no measurements of {board.name} v{board.version} on {target} in {store.url}"
        + (f" (it holds {board.name} {', '.join(found)}: pass that board version's YAML)" if found else "")
        + f": run `tinyops hil run MODEL --board {board.name} --target {target}` or "
        f"`{microbench_command(board.name, target, store)}` first"
    )


def calibrate_board(
    store: Store,
    board_name: str,
    target: str,
    out: Path | None,
    test_share: float = 0.25,
    seed: int = 0,
    ref_note: str = "",
) -> CalibrationReport:
    """Fit `board_name`'s kernel costs to the store's measurements and write the next board version to `out`.

    One measured model (one case) is fitted training-only (the report says nothing was held out). Kinds the
    measured ops do not determine keep the board's values (`fit.undetermined`; `what_to_measure` says what
    to run); when no kind is determined, a ValueError says it in one line. `ref_note` is added to every
    fitted number's `ref` (e.g. the command).
    """
    from tinyops import _core  # type: ignore[attr-defined]  # the C++ extension has no stubs

    board = load_board(board_name)
    samples = _samples_or_say_what_to_measure(store, board, target)
    try:
        fit = fit_kernel_costs(
            samples, fit_copy_cost=not board.dma, test_share=test_share, seed=seed, skip_undetermined=True
        )
    except UnderdeterminedFit as exc:
        raise ValueError(f"calibrate: {what_to_measure(exc.kinds, samples, board.name, target, store)}") from None
    # Nothing held out: every sample trained the fit, and the training figures are all there is to say.
    train_mape, train_within, _ = fit.evaluate(samples) if not fit.held_out else (float("nan"), float("nan"), [])
    unit = "instructions" if target == "qemu" else "cycles"
    held_out = (
        f"held-out {fit.test_ops} ops ({fit.test_cases} cases): MAPE {fit.mape:.2f} %, "
        f"{fit.within_10pct:.1f} % within ±10 %"
        if fit.held_out
        else f"no held-out ops (one case; training MAPE {train_mape:.2f} %)"
    )
    ref = (
        f"NNLS fit to {fit.train_ops} per-op {unit} ({fit.train_cases} cases) measured on {target} (board "
        f"v{board.version}); {held_out}" + (f"; {ref_note}" if ref_note else "")
    )
    source = Path(board_name) if Path(board_name).suffix in (".yaml", ".yml") else BOARDS_DIR / f"{board.name}.yaml"
    text = (
        fitted_board_text(source.read_text(), fit, ref)
        if source.is_file()
        else fitted_board_yaml(board.to_yaml(), fit, ref)
    )
    path = out or Path(f"{board.name}-v{board.version + 1}.yaml")
    new_board = _core.board_from_yaml(text, str(path))  # the new version validates like any board file
    try:
        with store.session() as session:
            session.add(
                HilCalibration(
                    board=board.name,
                    from_version=board.version,
                    to_version=new_board.version,
                    target=target,
                    train_ops=fit.train_ops,
                    test_ops=fit.test_ops,
                    mape=fit.mape if fit.held_out else None,
                    within_10pct=fit.within_10pct if fit.held_out else None,
                    report_json=json.dumps(
                        {
                            "kernels": fit.kernels,
                            "memcpy_cycles_per_byte": fit.copy_cycles_per_byte,
                            "train_cases": fit.train_cases,
                            "test_cases": fit.test_cases,
                            "train_mape": train_mape,
                            "seed": seed,
                            "test_share": test_share,
                            "per_kind": [asdict(r) for r in fit.per_kind],
                            "board_yaml": text,
                        }
                    ),
                )
            )
    except sa.exc.SQLAlchemyError as exc:  # e.g. a store whose calibration table an older version created
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        raise ValueError(
            f"store {store.url}: cannot record the calibration in tinyops_hil_calibrations "
            f"({reason}); pass another --store"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    not_fitted = what_to_measure(fit.undetermined, samples, board.name, target, store) if fit.undetermined else ""
    return CalibrationReport(
        board.name, board.version, new_board.version, unit, path, fit, store.url, train_mape, train_within, not_fitted
    )
