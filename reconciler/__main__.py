"""``python -m reconciler`` runs the same command line as ``reconcile``."""

from reconciler.cli import main

main()
