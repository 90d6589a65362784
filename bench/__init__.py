"""bench: accuracy and efficiency evaluation of spiking and conventional visual object trackers.

Data flows one way: ``datasets`` (sequences) -> ``bench.runner`` (tracker over frames) ->
``bench.results`` (raw results on disk) -> ``bench.metrics`` / ``bench.efficiency`` -> ``reports``.
"""
__version__ = "0.1.0"
