"""``python -m supplysim``."""

from supplysim.cli import main

main()
