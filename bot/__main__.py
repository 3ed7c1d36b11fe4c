"""`python -m bot` is the `learnbot` command."""

from bot.cli import main

main()
