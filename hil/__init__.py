"""tinyops.hil: run firmware on QEMU or a board, measure per-op cycles, store them, calibrate against them."""

from tinyops.hil._elf import FirmwareImage
from tinyops.hil._errors import FirmwareFault, TargetError, TargetTimeout
from tinyops.hil._qemu import QemuProcess, QemuTarget
from tinyops.hil._results import OpMeasurement, RunResults
from tinyops.hil._target import Target

__all__ = [
    "FirmwareFault",
    "FirmwareImage",
    "OpMeasurement",
    "QemuProcess",
    "QemuTarget",
    "RunResults",
    "Target",
    "TargetError",
    "TargetTimeout",
]
