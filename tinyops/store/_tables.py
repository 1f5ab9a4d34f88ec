"""Imports every module that defines store tables (each area adds one line for its own module)."""
from tinyops.hil import _store  # noqa: F401  (HIL runs, measurements, calibrations)
from tinyops.search import _records  # noqa: F401  (search: trials, predictions, accuracies, exports)
from tinyops.store import _experiments  # noqa: F401  (experiments/: runs and their result tables)
