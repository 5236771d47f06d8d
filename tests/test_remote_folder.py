"""The private run folder on a host (deploy._private_folder), through a stand-in for
paramiko's SFTPClient that keeps a set of paths: the race below cannot be timed for real."""

from __future__ import annotations

import pytest

from rustle_invoke.deploy import _private_folder


class FolderSftp:
    """mkdir/stat over a set of folders, as an SFTP server answers them (OSError when
    mkdir finds the path taken or its parent missing, or stat finds nothing)."""

    def __init__(self, *existing: str, made_by_another: str = "") -> None:
        self.folders = set(existing)
        self.modes: dict[str, int] = {}
        self.made_by_another = made_by_another

    def stat(self, path: str) -> object:
        if path not in self.folders:
            raise FileNotFoundError(path)
        return object()

    def mkdir(self, path: str, mode: int) -> None:
        if path == self.made_by_another:  # another host's run made it just now
            self.folders.add(path)
            self.made_by_another = ""
        parent = path.rsplit("/", 1)[0] if "/" in path.strip("/") else ""
        if path in self.folders or (parent and parent not in self.folders):
            raise OSError("Failure")
        self.folders.add(path)
        self.modes[path] = mode


def test_one_mkdir_when_the_base_exists() -> None:
    sftp = FolderSftp("/srv", "/srv/tmp")
    folder = _private_folder(sftp, "/srv/tmp")
    assert folder.startswith("/srv/tmp/run-") and len(folder) == len("/srv/tmp/run-") + 16
    assert sftp.modes == {folder: 0o700}


def test_missing_parents_are_made_private_and_home_paths_stay_relative() -> None:
    sftp = FolderSftp()
    folder = _private_folder(sftp, "~/.rustle/tmp")
    assert folder.startswith(".rustle/tmp/run-")
    assert sftp.modes == {".rustle": 0o700, ".rustle/tmp": 0o700, folder: 0o700}


def test_a_parent_another_run_makes_meanwhile_is_used() -> None:
    sftp = FolderSftp("/srv", made_by_another="/srv/tmp")
    folder = _private_folder(sftp, "/srv/tmp")
    assert folder.startswith("/srv/tmp/run-") and folder in sftp.folders


def test_a_parent_that_cannot_be_made_is_the_error() -> None:
    def refuse(path: str, mode: int) -> None:
        raise PermissionError(f"Permission denied: {path}")

    sftp = FolderSftp()
    sftp.mkdir = refuse  # type: ignore[method-assign]
    with pytest.raises(PermissionError, match="Permission denied: /srv"):
        _private_folder(sftp, "/srv/tmp")
