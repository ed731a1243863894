"""`python -m epitrace` runs the CLI."""

from epitrace.cli.main import app

app()
