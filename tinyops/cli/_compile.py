"""CLI for the compiler: `tinyops compile`."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from tinyops.cli._errors import user_errors

console = Console()


def compile_command(
    model: Path = typer.Argument(..., help="int8 .tflite model or the search's handoff .npz"),
    board: str = typer.Option("qemu-mps2-an500", "--board", "-b", help="board catalog name or YAML path"),
    strategy: str = typer.Option("tinyops", "--strategy", "-s", help="internal, external, tinyops or optimal"),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="output directory"),
) -> None:
    """Plan MODEL on BOARD with STRATEGY and write the model blob, the plan and a plan report."""
    from tinyops.compiler import compile_model

    with user_errors():
        compiled = compile_model(model, board, strategy)
        paths = compiled.write(out)
    report = compiled.report()
    table = Table(title=f"{report['model']} on {report['board']}, strategy {report['strategy']}")
    for col in ("#", "op", "kind", "output", "strategy", "partitioning", "parts"):
        table.add_column(col, justify="right" if col in ("#", "parts") else "left")
    for k, op in enumerate(report["ops"]):
        table.add_row(
            str(k),
            op["name"][-40:],
            op["kind"],
            "x".join(map(str, op["output"])),
            op["strategy"],
            op["partitioning"],
            str(op["parts"]),
        )
    console.print(table)
    buffers = Table(title="buffers")
    for col in ("name", "kind", "memory", "offset", "bytes"):
        buffers.add_column(col, justify="right" if col in ("offset", "bytes") else "left")
    for b in report["buffers"]:
        buffers.add_row(
            b["name"], b["kind"], str(b.get("memory", "")), f"{b.get('offset', 0):,}", f"{b.get('bytes', 0):,}"
        )
    console.print(buffers)
    predicted = f"{report['predicted_ms']:.3f} ms" if report["predicted_ms"] is not None else "n/a"
    console.print(
        f"blob {report['blob_bytes']:,} B (weights {report['weights_bytes']:,} B), external arena "
        f"{report['external_arena_bytes']:,} B, internal arena {report['internal_arena_bytes']:,} B, "
        f"predicted latency {predicted}"
    )
    for note in report["notes"]:
        console.print(f"[yellow]note:[/] {note}")
    for kind, path in paths.items():
        console.print(f"{kind}: {path}")


def run_qemu_command(
    model: Path = typer.Argument(..., help="a model blob (.blob), an int8 .tflite model or a handoff .npz"),
    board: str = typer.Option("qemu-mps2-an500", "--board", "-b", help="board to plan for (models only)"),
    strategy: str = typer.Option("tinyops", "--strategy", "-s", help="strategy to plan with (models only)"),
    port: str = typer.Option("qemu-mps2-an500", "--port", help="QEMU firmware port"),
    input_path: Path | None = typer.Option(None, "--input", help="int8 .npy image (H x W x C); default random"),
    seed: int = typer.Option(0, "--seed", help="seed of the random input image"),
    elf: Path | None = typer.Option(
        None, "--elf", help="runner image (default build/fw-<port>/runner.elf, built if missing)"
    ),
) -> None:
    """Run one input through a blob on the firmware runner under QEMU; print the output and per-op counts."""
    import numpy as np

    from tinyops.compiler import compile_model, evaluate
    from tinyops.compiler._qemu import run_blob_in_qemu

    with user_errors():
        compiled = None
        if model.suffix == ".blob":
            if not model.is_file():
                raise FileNotFoundError(f"{model}: no such blob")
            blob = model.read_bytes()
        else:
            compiled = compile_model(model, board, strategy)
            blob = compiled.blob
        shape = _blob_input_shape(blob, model)
        if input_path is not None:
            image = np.load(input_path, allow_pickle=False)
            if image.dtype != np.int8 or image.shape != shape:
                raise ValueError(f"{input_path}: expected int8 of shape {shape}, got {image.dtype} {image.shape}")
        else:
            image = np.random.default_rng(seed).integers(-128, 128, size=shape, dtype=np.int8)
        run = run_blob_in_qemu(blob, image, port=port, elf=elf)
    table = Table(title=f"{model.name} under QEMU ({port}): {len(run.ops)} ops, total {run.total:,} {run.unit}")
    for col in ("#", "op", run.unit, "dma wait", "parts", "DMA bytes"):
        table.add_column(col, justify="left" if col == "op" else "right")
    for k, op in enumerate(run.ops):
        name = compiled.model.ops[k].name[-40:] if compiled else ""
        table.add_row(str(k), name, f"{op['time']:,}", f"{op['dma_wait']:,}", str(op["parts"]), f"{op['dma_bytes']:,}")
    console.print(table)
    console.print(f"output ({run.output.size} int8): {' '.join(map(str, run.output.tolist()))}")
    top = np.argsort(-run.output.astype(np.int32), kind="stable")[:5]
    console.print(f"top-5 classes: {', '.join(f'{i} ({run.output[i]})' for i in top)}")
    if compiled is not None:
        reference = evaluate(compiled.model, image).reshape(-1)
        exact = bool(np.array_equal(reference, run.output))
        console.print(
            f"bit-exact with the reference evaluator (TFLite's integer arithmetic): {'yes' if exact else 'NO'}"
        )
        if not exact:
            raise typer.Exit(1)


def _blob_input_shape(blob: bytes, source: Path) -> tuple[int, int, int]:
    import struct

    from tinyops.compiler._blob import HEADER_BYTES, read_blob

    if len(blob) < HEADER_BYTES:
        raise ValueError(f"{source}: not a model blob (shorter than its header)")
    try:
        model = read_blob(blob)  # header, version (a v1 blob: "blob v1, recompile") and CRC checked
        if model.Input() >= model.TensorsLength():
            raise ValueError(f"input: tensor {model.Input()} of {model.TensorsLength()}")
        t = model.Tensors(model.Input())
        return t.Height(), t.Width(), t.Channels()
    except (ValueError, IndexError, struct.error) as e:
        raise ValueError(f"{source}: not a loadable model blob: {e}") from e


def register(app: typer.Typer) -> None:
    app.command("compile")(compile_command)
    app.command("run-qemu")(run_qemu_command)
