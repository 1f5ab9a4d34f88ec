"""The TinyOps compiler: quantized models (``.tflite`` or the search's PTQ handoff) -> IR -> plan -> model blob.

Public API:

- :func:`import_tflite` reads an int8 ``.tflite`` model; :func:`load_model`/:func:`save_model` read and write
  the handoff format of ``HANDOFF.md`` (what the search's PyTorch quantizer produces).
- :class:`QuantizedModel`, :class:`QuantizedOp`, :class:`QuantizedTensor`, :class:`OpKind`, :class:`Padding`:
  the IR; :func:`derive_integer_params` computes TFLite's multipliers/shifts/clamps once.
- :func:`evaluate`: the numpy reference evaluator of the IR (bit-exact with TFLite's reference kernels);
  :func:`quantize_input`/:func:`dequantize_output`: the float edges of a float-interface model.
- :func:`compile_model`: IR -> the core's plan (board, strategy) -> model blob, with a plan report and per op
  the core's prediction (:class:`OpPrediction`: what hil measures against).
- :class:`HostRuntime`: the firmware runtime on the host (``tinyops._core``): batches through a blob.
"""

from tinyops.compiler._compile import CompiledModel, OpPrediction, PlanDoesNotFit, UnsupportedOp, compile_model
from tinyops.compiler._handoff import load_any, load_model, save_model
from tinyops.compiler._ir import (
    OpKind,
    Padding,
    QuantizedModel,
    QuantizedOp,
    QuantizedTensor,
    derive_integer_params,
)
from tinyops.compiler._quant import quantize_multiplier
from tinyops.compiler._reference import dequantize_output, evaluate, quantize_input
from tinyops.compiler._runtime import HostRuntime, host_runtime_available
from tinyops.compiler._tflite import import_tflite

__all__ = [
    "CompiledModel",
    "HostRuntime",
    "OpKind",
    "OpPrediction",
    "Padding",
    "QuantizedModel",
    "QuantizedOp",
    "QuantizedTensor",
    "PlanDoesNotFit",
    "UnsupportedOp",
    "compile_model",
    "derive_integer_params",
    "dequantize_output",
    "evaluate",
    "host_runtime_available",
    "import_tflite",
    "load_any",
    "load_model",
    "save_model",
    "quantize_input",
    "quantize_multiplier",
]
