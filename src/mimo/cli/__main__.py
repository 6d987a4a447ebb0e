"""``python -m mimo.cli``."""

from mimo.cli import main

main()
