"""``python -m pyhelm`` runs the command line."""

from pyhelm.cli.main import main

main()
