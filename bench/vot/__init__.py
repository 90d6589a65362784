"""VOT toolkit integration: offline workspaces, a TraX server for suite trackers, and the analysis read back.

* :mod:`bench.vot.workspace` -- build a vot-toolkit workspace from VOT-format or converted sequences.
* :mod:`bench.vot.trax_server` -- the process vot-toolkit starts to run a suite tracker over TraX.
* :mod:`bench.vot.patches` / :mod:`bench.vot.cli_main` -- version-checked fixes for vot-toolkit 0.9.0.
* :mod:`bench.vot.toolkit` -- drive ``vot evaluate`` / ``vot analysis`` and parse the analysis.
* :mod:`bench.vot.results` -- read the toolkit's result files, score them with the suite's own VOT
  protocols, and import both into the suite's results store.

``bench vot setup|run|analyse`` (:mod:`bench.commands.vot`) is the command-line face of this package.
The toolkit itself (``pip install vot-toolkit==0.9.0 attributee==0.1.9``) is only needed for ``run`` and
``analyse``; building a workspace and scoring result files work without it.
"""
