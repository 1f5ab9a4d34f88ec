"""QEMU board calibration: measure the micro-benchmark set on QEMU mps2-an500, fit the kernel costs (NNLS in
the C++ core) and print the held-out error per kernel kind; then the r064 model per op, predicted with the
catalog's parameters and with the fitted ones, against what QEMU measured.

    .venv/bin/python benchmarks/bench_calibration.py [--every N] [--store URL] [--out DIR]

Counts are instructions (QEMU -icount shift=0). Nothing here is asserted; the figures are printed.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

BOARD = "qemu-mps2-an500"
R064 = Path(__file__).resolve().parents[1].parent / "shared/models/tflite/proxyless-w0.30-r064_int8.tflite"


def main() -> None:
    from tinyops import _core  # type: ignore[attr-defined]
    from tinyops.compiler import import_tflite
    from tinyops.hil import QemuTarget
    from tinyops.hil._calibrate import calibrate_board
    from tinyops.hil._measure import calibration_samples, measure
    from tinyops.hil._microbench import calibration_set
    from tinyops.hil._pipeline import compile_model, load_board, measurement_job, runner_firmware
    from tinyops.hil._plots import plot_calibration_scatter, plot_op_bars
    from tinyops.latency_model._calibration import by_variant
    from tinyops.store import open_store

    parser = argparse.ArgumentParser()
    parser.add_argument("--every", type=int, default=1, help="keep every n-th micro-benchmark network")
    parser.add_argument("--tail", action="store_true", help="add the network-tail shapes (tiny maps) to the set")
    parser.add_argument("--store", default=None, help="results store URL (default: a temporary SQLite file)")
    parser.add_argument("--out", type=Path, default=Path("build/bench-calibration"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    store = open_store(args.store or f"sqlite:///{tempfile.mkdtemp()}/hil.db")
    board = load_board(BOARD)
    firmware = runner_firmware(BOARD)

    started = time.monotonic()
    measured = skipped = 0
    with QemuTarget(timeout_s=120) as target:
        for bench in calibration_set(every=args.every, network_tail=args.tail):
            try:
                compiled = compile_model(bench.model, board, bench.strategy)
            except ValueError:
                skipped += 1
                continue
            measure(store, target, measurement_job(compiled, firmware, bench.name), repetitions=1)
            measured += 1
    print(f"micro-benchmarks: {measured} networks measured, {skipped} did not fit, {time.monotonic() - started:.0f} s")

    report = calibrate_board(store, BOARD, "qemu", args.out / f"{BOARD}-v{board.version + 1}.yaml")
    for fit, what in ((report.fit, "the board's kernel kinds (written to the new version)"),
                      (report.variant_fit, "the firmware's kernel variants")):
        print(f"\nheld-out ops ({fit.test_ops}; {fit.train_ops} for training), instructions, fitted on {what}:")
        print(f"{'kernel':28s}{'train':>7s}{'test':>6s}{'MAPE %':>9s}{'within ±10 %':>15s}")
        for r in fit.per_kind:
            print(f"{r.kernel_kind:28s}{r.train_ops:7d}{r.test_ops:6d}{r.mape:9.2f}{r.within_10pct:14.1f} %")
        print(f"{'all':28s}{fit.train_ops:7d}{fit.test_ops:6d}{fit.mape:9.2f}{fit.within_10pct:14.1f} %")
    print(f"wrote {report.path}, {plot_calibration_scatter(report.fit, args.out / 'scatter.png', report.unit)} and "
          f"{plot_calibration_scatter(report.variant_fit, args.out / 'scatter-variants.png', report.unit)}")

    if not R064.is_file():
        print(f"\nr064: {R064} absent, skipped")
        return
    model = import_tflite(R064)
    fitted = _core.board_from_yaml(report.path.read_text(), str(report.path))
    for strategy in [s for s in ("tinyops", "external") if s in _core.strategies()]:
        before = compile_model(model, board, strategy)
        after = compile_model(model, fitted, strategy)
        with QemuTarget(timeout_s=300) as target:
            summary = measure(store, target, measurement_job(before, firmware, f"r064@{strategy}"), repetitions=1)
        ops = [s for s in calibration_samples(store, BOARD, board.version, "qemu") if s.network == f"r064@{strategy}"
               and s.kernel_kind in report.fit.kernels]
        total_m, total_b, total_a = (sum(summary.per_op_median), sum(p or 0 for p in before.predicted),
                                     sum(p or 0 for p in after.predicted))
        print(f"\nr064 ({strategy}), {len(model.ops)} ops: measured {total_m:,} instructions; the simulator "
              f"predicts {total_b:,.0f} with v{board.version} ({100 * (total_b - total_m) / total_m:+.1f} %), "
              f"{total_a:,.0f} with the fitted v{fitted.version} ({100 * (total_a - total_m) / total_m:+.1f} %)")
        for fit, what, samples in ((report.fit, "board kinds", ops), (report.variant_fit, "kernel variants",
                                                                      by_variant(ops))):
            errors = [abs(fit.predict(s) - s.measured) / s.measured for s in samples if s.kernel_kind in fit.kernels]
            print(f"  per op, cost model fitted on {what}: MAPE {100 * sum(errors) / len(errors):.2f} %, "
                  f"{100 * sum(e <= 0.1 for e in errors) / len(errors):.1f} % of {len(errors)} ops within ±10 %")
        plot_op_bars(after.op_names, summary.per_op_median, after.predicted, args.out / f"r064-{strategy}.png",
                     "instructions", title=f"r064 on QEMU mps2-an500 ({strategy}): measured vs fitted board")


if __name__ == "__main__":
    main()
