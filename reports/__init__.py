"""Reports built from stored results only: Excel workbooks, plots and paper tables.

Nothing here runs a tracker. :func:`reports.collect.collect` scores what is stored (this suite's results
store, other toolkits' ``<Tracker>/<seq>.txt`` folders, VOT ``<Tracker>/baseline/`` workspaces) through
:mod:`bench.evaluation` and :mod:`bench.metrics` under each benchmark's official protocol, and reads
``profile.json`` efficiency files (firing rates fall back to ``bench run``'s ``<seq>_stats.json``); the
writers take the resulting
:class:`reports.model.ReportData`::

    bench report --results results --out report --published
    bench report --results ../shared/data/raw_results --datasets otb100 lasot \\
        --annotations otb100=../shared/data/otb lasot=../shared/data/lasot --out report

    from reports.collect import collect
    from reports.build import write_report
    write_report(collect("results"), "report")

Output: ``report.xlsx`` (leaderboard, per-sequence, attribute, firing-rate, energy, published sheets),
``leaderboard.md`` / ``leaderboard.tex``, ``figures/*.png|pdf``, ``report.json``.
"""
