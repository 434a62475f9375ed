"""``python -m scalinglab`` runs the CLI."""

from .cli import main

main()
