"""Serve plotly.js from the installed ``plotly`` Python package: no CDN, no copy in the repository.

:class:`PlotlyFinder` exposes ``plotly/package_data/plotly.min.js`` as the static file
``kerma/vendor/plotly.min.js``; WhiteNoise (``WHITENOISE_USE_FINDERS``) serves it like any other
static file, and ``collectstatic`` copies it when a site collects its static files.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import Error
from django.core.files.storage import FileSystemStorage

STATIC_PREFIX = "kerma/vendor"
FILE_NAME = "plotly.min.js"
STATIC_PATH = f"{STATIC_PREFIX}/{FILE_NAME}"


def plotly_js() -> Path:
    """Return the path of ``plotly.min.js`` in the installed ``plotly`` package."""
    import plotly

    return Path(plotly.__file__).resolve().parent / "package_data" / FILE_NAME


class PlotlyFinder(BaseFinder):
    """A staticfiles finder for the one file ``kerma/vendor/plotly.min.js``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.path = plotly_js()
        self.storage = FileSystemStorage(location=str(self.path.parent))
        # Read by collectstatic and WhiteNoise: the file lands under this folder.
        self.storage.prefix = STATIC_PREFIX

    def check(self, **kwargs: Any) -> list[Error]:
        """Return an error when the plotly package has no plotly.min.js."""
        if not self.path.is_file():
            return [Error(f"plotly.js not found at {self.path}", id="charts.E001")]
        return []

    def find(self, path: str, find_all: bool = False, **kwargs: Any) -> str | list[str]:
        """Return the absolute path of ``path`` when it is plotly.js (``[]`` otherwise)."""
        find_all = find_all or bool(kwargs.get("all"))
        if path == STATIC_PATH and self.path.is_file():
            return [str(self.path)] if find_all else str(self.path)
        return []

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        """Yield plotly.js with its storage (relative path, storage whose prefix is the folder)."""
        if self.path.is_file():
            yield FILE_NAME, self.storage
