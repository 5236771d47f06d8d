"""The ``example-stamp`` post-processor: appends a trailer naming this plugin's version.

Loaders ignore bytes after the last segment of an ELF, Mach-O or PE file, so the
binary still runs; ``tail -c 200 BINARY`` shows the stamp.
"""

from __future__ import annotations

import json

from rustle_invoke.errors import PostProcessingFailed
from rustle_invoke.postprocess import Artifact

MARKER = b"\nRUSTLE-EXAMPLE-STAMP "


def stamp_bytes(version: str, artifact: Artifact) -> bytes:
    """The trailer: the marker, then one line of JSON."""
    data = {"plugin": "rustle-example-plugin", "version": version, "target": artifact.target}
    return MARKER + json.dumps(data, sort_keys=True).encode("utf-8") + b"\n"


class StampPostProcessor:
    name = "example-stamp"

    def __init__(self, version: str) -> None:
        # The stamp's text depends on it, so it is part of the cache key.
        self.version = version

    def process(self, artifact: Artifact) -> None:
        try:
            with artifact.path.open("ab") as binary:
                binary.write(stamp_bytes(self.version, artifact))
        except OSError as exc:
            raise PostProcessingFailed(
                f"example-stamp cannot append to {artifact.path}: {exc.strerror or exc}"
            ) from None
