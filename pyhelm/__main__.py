"""``python -m pyhelm`` runs the command line."""

from pyhelm.cli.entry import main

main()
