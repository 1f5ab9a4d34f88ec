"""What can go wrong on a target, as exceptions a measurement records (never a half-written result)."""

from __future__ import annotations


class TargetError(RuntimeError):
    """A target could not do what was asked (probe gone, connection lost, bad image); the message says which."""


class TargetTimeout(TargetError):
    """The target did not answer or finish within the time allowed (a hung firmware, a stalled probe)."""


class FirmwareFault(TargetError):
    """The firmware stopped in a fault handler or reported an error status instead of finishing."""
