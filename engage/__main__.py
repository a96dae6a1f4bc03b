"""``python -m engage`` runs the command line."""

from engage.cli import main

main()
