"""Where the packaged templates live: inside the wheel, or beside the source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from .errors import ProjectError


@cache
def templates_dir() -> Path:
    """``rustle_invoke/templates`` in an installed wheel, ``templates/`` in a checkout."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "templates", here.parent / "templates"):
        if (candidate / "runtime" / "Cargo.toml").is_file():
            return candidate
    raise ProjectError(
        f"the project templates are missing (looked in {here / 'templates'} and "
        f"{here.parent / 'templates'})",
        hint="reinstall rustle-invoke; the wheel must contain rustle_invoke/templates",
    )
