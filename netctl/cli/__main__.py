"""``python -m netctl.cli`` runs the command line."""

from netctl.cli import main

main()
