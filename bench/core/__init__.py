"""The base layer: what every other package of the project may import, importing nothing of the project.

``errors`` (the one-line exceptions), ``registry`` (named factories and plugin specs), ``io`` (atomic
writes; box, text, JSON and INI files), ``config`` (``bench.toml`` and environment), ``regions`` (VOT region
geometry), ``hashing`` (file and configuration hashes), ``paths`` (outputs never on inputs), ``benchmark``
(the record of one benchmark's facts), ``spikes`` (the one device-side accumulator of neuron-output
statistics, imported on use: it needs torch). ``pyproject.toml``'s import-linter contract keeps it so.
"""
