"""QEMU board calibration: measure the micro-benchmark set on QEMU mps2-an500, fit the kernel costs (NNLS in
the C++ core) per firmware kernel kind and print the held-out error per kind, with the split sizes; then the
shared ProxylessNAS r064 model measured per op (never fitted on: a second held-out figure), predicted with the
fitted parameters.

    .venv/bin/python benchmarks/bench_calibration.py [--every N] [--seed S] [--store URL] [--out DIR]

Counts are instructions (QEMU -icount shift=0). Nothing here is asserted; the figures are printed.

    .venv/bin/python benchmarks/bench_calibration.py --derived-every N [--derived-only]

also derives Cortex-M7 and Cortex-M4 cycles of every N-th single-op case (internal placement) from QEMU's
per-instruction execution counts and llvm-mca's scheduling models (tinyops.hil._derived), fits the cost
terms to them and prints, per kernel kind, the derived M7 (and M4) cycles per MAC beside the hand estimates
of the STM32F746G / F469I boards and the QEMU instruction fit of the catalog's an500 board.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

BOARD = "qemu-mps2-an500"
R064 = Path(__file__).resolve().parents[1].parent / "shared/models/tflite/proxyless-w0.30-r064_int8.tflite"


def print_figures(title: str, mape: float, within: float, per_kind) -> None:  # type: ignore[no-untyped-def]
    print(f"\n{title}")
    print(f"{'kernel':28s}{'train':>7s}{'test':>6s}{'MAPE %':>9s}{'within ±10 %':>15s}")
    for r in per_kind:
        print(f"{r.kernel_kind:28s}{r.train_ops:7d}{r.test_ops:6d}{r.mape:9.2f}{r.within_10pct:14.1f} %")
    print(
        f"{'all':28s}{sum(r.train_ops for r in per_kind):7d}{sum(r.test_ops for r in per_kind):6d}"
        f"{mape:9.2f}{within:14.1f} %"
    )


def _cycles_per_mac(board_name: str, estimate: bool = False) -> dict[str, float]:
    """The catalog board's cycles_per_mac per kind; with `estimate`, the hand estimate (the value while its
    source is `estimate`, else the one its replacement's ref records)."""
    import re

    import yaml

    from tinyops.hil._pipeline import load_board

    doc = yaml.safe_load(load_board(board_name).to_yaml())
    out = {}
    for kind, terms in doc["kernels"].items():
        q = terms["cycles_per_mac"]
        was = re.search(r"replaces the estimate ([0-9.eE+-]+)", q["ref"])
        out[kind] = (
            float(was.group(1))
            if estimate and was
            else q["value"]
            if not estimate or q["source"] == "estimate"
            else float("nan")
        )
    return out


def print_derived(every: int) -> None:
    """Derived M7 / M4 cycles per MAC per kernel kind beside the hand estimates and the QEMU fit."""
    from tinyops.hil._derived import derived_samples
    from tinyops.latency_model._calibration import fit_kernel_costs

    started = time.monotonic()
    checks: list[float] = []
    samples = derived_samples(
        every, on_case=lambda _n, _k, run: checks.append(run.attributed_instructions / run.run_instructions)
    )
    fits = {mcpu: fit_kernel_costs(s, fit_copy_cost=False, skip_undetermined=True) for mcpu, s in samples.items()}
    m7 = samples["cortex-m7"]
    print(
        f"\nderived cycles: {len(m7)} single-op cases (every {every}th, internal placement), "
        f"{time.monotonic() - started:.0f} s; profile attribution: attributed / run instructions "
        f"{min(checks):.3f}..{max(checks):.3f}"
    )
    hand_m7, hand_m4 = (_cycles_per_mac(b, estimate=True) for b in ("stm32f746g-disco", "stm32f469i-disco"))
    qemu = _cycles_per_mac("qemu-mps2-an500")
    print(
        f"{'kernel':28s}{'cases':>6s}{'M7 cyc/MAC':>11s}{'M7 eff.':>9s}{'M4 cyc/MAC':>11s}{'F746 est.':>10s}"
        f"{'F469 est.':>10s}{'QEMU fit':>10s}{'M7 MAPE %':>10s}"
    )
    for kind in sorted({s.kernel_kind for s in m7}):
        ops = [s for s in m7 if s.kernel_kind == kind]
        macs = sum(s.features.get("cycles_per_mac", 0) for s in ops)
        effective = f"{sum(s.measured for s in ops) / macs:9.2f}" if macs else f"{'-':>9s}"

        def term(mcpu: str, kind: str = kind) -> str:
            value = fits[mcpu].kernels.get(kind, {}).get("cycles_per_mac")
            return f"{value:11.3f}" if value is not None else f"{'-':>11s}"

        mape = next((r.mape for r in fits["cortex-m7"].per_kind if r.kernel_kind == kind), float("nan"))
        print(
            f"{kind:28s}{len(ops):6d}{term('cortex-m7')}{effective}{term('cortex-m4')}{hand_m7[kind]:10.3f}"
            f"{hand_m4[kind]:10.3f}{qemu[kind]:10.3f}{mape:10.2f}"
        )
    for mcpu, fit in fits.items():
        if fit.undetermined:
            print(f"  {mcpu}: not determined by these cases: {', '.join(u.kernel_kind for u in fit.undetermined)}")


def main() -> None:
    from tinyops import _core  # type: ignore[attr-defined]
    from tinyops.compiler import import_tflite
    from tinyops.hil import QemuTarget
    from tinyops.hil._calibrate import calibrate_board
    from tinyops.hil._measure import calibration_samples, measure
    from tinyops.hil._microbench import calibration_set, measure_calibration_set
    from tinyops.hil._pipeline import compile_model, load_board, measurement_job, runner_firmware
    from tinyops.hil._plots import plot_calibration_scatter, plot_op_bars
    from tinyops.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=1, help="keep every n-th micro-benchmark case")
    parser.add_argument("--seed", type=int, default=0, help="seed of the held-out split of the cases")
    parser.add_argument("--store", default=None, help="results store URL (default: a temporary SQLite file)")
    parser.add_argument("--out", type=Path, default=Path("build/bench-calibration"))
    parser.add_argument(
        "--derived-every", type=int, default=0, help="also derive M7/M4 cycles of every n-th single-op case (0: skip)"
    )
    parser.add_argument("--derived-only", action="store_true", help="only the derived-cycles table")
    args = parser.parse_args()
    if args.derived_every:
        print_derived(args.derived_every)
    if args.derived_only:
        return
    args.out.mkdir(parents=True, exist_ok=True)
    store = open_store(args.store or f"sqlite:///{tempfile.mkdtemp()}/hil.db")
    board = load_board(BOARD)

    started = time.monotonic()
    benchmarks = calibration_set(every=args.every)
    with QemuTarget(timeout_s=120) as target:
        run = measure_calibration_set(store, target, board, benchmarks)
    print(
        f"micro-benchmarks: {len(benchmarks)} networks of {len({b.case for b in benchmarks})} cases, "
        f"{run.measured} measured, {len(run.skipped)} did not fit, {time.monotonic() - started:.0f} s"
    )

    report = calibrate_board(store, BOARD, "qemu", args.out / f"{BOARD}-v{board.version + 1}.yaml", seed=args.seed)
    fit = report.fit
    print_figures(
        f"held-out split (seed {args.seed}): {fit.test_ops} ops of {fit.test_cases} cases held out, "
        f"{fit.train_ops} ops of {fit.train_cases} cases for training; {report.unit}",
        fit.mape,
        fit.within_10pct,
        fit.per_kind,
    )
    print(f"wrote {report.path} and {plot_calibration_scatter(fit, args.out / 'scatter.png', report.unit)}")

    if not R064.is_file():
        print(f"\nr064: {R064} absent, skipped")
        return
    model = import_tflite(R064)
    fitted = _core.board_from_yaml(report.path.read_text(), str(report.path))
    firmware = runner_firmware(BOARD)
    for strategy in [s for s in ("tinyops", "external") if s in _core.strategies()]:
        before = compile_model(model, board, strategy)
        after = compile_model(model, fitted, strategy)
        with QemuTarget(timeout_s=300) as target:
            summary = measure(store, target, measurement_job(before, firmware, f"r064@{strategy}"), repetitions=1)
        ops = [s for s in calibration_samples(store, BOARD, board.version, "qemu") if s.network == f"r064@{strategy}"]
        mape, within, per_kind = fit.evaluate(ops)
        print_figures(
            f"r064 ({strategy}), every op held out (the model is never fitted on; 'train': the kind's "
            f"micro-benchmark training ops): {len(ops)} ops",
            mape,
            within,
            per_kind,
        )
        total_m, total_b, total_a = (
            sum(summary.per_op_median),
            sum(p or 0 for p in before.predicted),
            sum(p or 0 for p in after.predicted),
        )
        print(
            f"  whole model: measured {total_m:,} instructions; the simulator predicts {total_b:,.0f} with "
            f"v{board.version} ({100 * (total_b - total_m) / total_m:+.1f} %), {total_a:,.0f} with the fitted "
            f"v{fitted.version} ({100 * (total_a - total_m) / total_m:+.1f} %)"
        )
        plot_op_bars(
            after.op_names,
            summary.per_op_median,
            after.predicted,
            args.out / f"r064-{strategy}.png",
            "instructions",
            title=f"r064 on QEMU mps2-an500 ({strategy}): measured vs fitted board",
        )


if __name__ == "__main__":
    main()
