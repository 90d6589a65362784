"""Errors the suite raises on bad input.

Every error a user can cause derives from :class:`BenchError`; the CLI prints its message as one line and
exits non-zero, so messages must name the file, line or key at fault and fit on one line.
"""
from __future__ import annotations


class BenchError(Exception):
    """Base class for errors caused by the user's input or environment (not by a bug)."""

    exit_code = 2

    def __str__(self) -> str:  # one line, always (and no KeyError-style quotes)
        return " ".join(Exception.__str__(self).split())


class UnknownNameError(BenchError, KeyError):
    """A tracker, dataset, protocol or other registered name that does not exist."""


class DataError(BenchError):
    """Malformed or missing annotations, frames or result files."""


class ResultsError(BenchError):
    """A results store that is inconsistent, unwritable or mixes configurations."""


class CheckpointError(BenchError):
    """A checkpoint that is missing, truncated, not a state dict, or does not fit the model."""


class ConfigError(BenchError):
    """Bad command-line options, environment variables or config-file entries."""
