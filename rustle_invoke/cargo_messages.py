"""Read cargo's ``--message-format=json-render-diagnostics`` output.

Only lines starting with ``{`` are JSON messages; anything else a build script
prints is ignored. rustc's human-readable diagnostics go to stderr on their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class CargoMessages:
    """What a build's messages said, accumulated line by line."""

    executables: dict[str, Path] = field(default_factory=dict)
    compiled: list[str] = field(default_factory=list)
    success: bool | None = None

    def feed(self, line: str) -> dict[str, Any] | None:
        """Take one stdout line; return the message it held, if any."""
        if not line.startswith("{"):
            return None
        try:
            message = json.loads(line)
        except ValueError:
            return None
        reason = message.get("reason")
        if reason == "compiler-artifact":
            target = message.get("target") or {}
            self.compiled.append(target.get("name", "?"))
            executable = message.get("executable")
            if executable:
                self.executables[target.get("name", "")] = Path(executable)
        elif reason == "build-finished":
            self.success = bool(message.get("success"))
        return message

    def executable(self, name: str) -> Path | None:
        """The executable of binary target ``name``, as cargo reported it."""
        return self.executables.get(name)
