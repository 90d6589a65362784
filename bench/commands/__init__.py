"""One module per ``bench`` subcommand; each defines ``register(subparsers)``."""
