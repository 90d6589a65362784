"""An example plugin for spiketrack-bench: a tracker, a dataset layout and a protocol, found by the suite
through the entry points declared in this package's ``pyproject.toml`` (no fork, no registration call)."""

__version__ = "0.1.0"
