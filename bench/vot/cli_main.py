"""Run the vot-toolkit command line with the suite's version-checked fixes applied.

``python -m bench.vot.cli_main evaluate --workspace W bench_mil`` is ``vot evaluate ...`` plus
:func:`bench.vot.patches.apply` (the 0.9.0 multistart fix and the offline update check). The suite always
starts the toolkit this way, as a child process, so the patches never touch the caller's interpreter.
"""
from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from bench.vot import patches

    patches.apply()
    from vot.utilities.cli import main as vot_main

    sys.argv = ["vot"] + list(sys.argv[1:] if argv is None else argv)
    try:
        vot_main()
    except SystemExit as e:  # pragma: no cover - vot's CLI exits on its own errors
        return int(e.code or 0)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
