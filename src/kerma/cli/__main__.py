"""``python -m kerma.cli ARGS`` runs the ``kerma`` command, as the console script does."""

from kerma.cli import app

app()
