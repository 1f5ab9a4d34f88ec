# Type stub of the pybind11 extension tinyops._core (bindings/): its classes and functions are typed as Any,
# so that mypy checks the Python around them; the C++ side is checked by its compiler and tests.
from typing import Any

def __getattr__(name: str) -> Any: ...
