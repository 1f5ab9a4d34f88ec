"""Imports every module that defines store tables (each area adds one line for its own module)."""
