"""Files a plan ships: where sources are found, what is refused, what the cache re-checks."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import cli, cli_json, plan_document, task

from rustle_invoke.modules import ArgumentError
from rustle_invoke.sources import SourceFiles, SourceSettings


@pytest.fixture()
def root(tmp_path: Path) -> Path:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "app.conf").write_text("from files/\n")
    (tmp_path / "app.conf").write_text("from the root\n")
    (tmp_path / "only-here.txt").write_text("root only\n")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "motd.j2").write_text("hello {{ name }}\n")
    return tmp_path


def test_relative_sources_look_in_files_then_the_root(root: Path) -> None:
    sources = SourceFiles(SourceSettings(root=root))
    assert sources.locate("app.conf", "files") == root / "files" / "app.conf"
    assert sources.locate("only-here.txt", "files") == root / "only-here.txt"
    assert sources.locate("motd.j2", "templates") == root / "templates" / "motd.j2"
    absolute = str(root / "app.conf")
    assert sources.locate(absolute, "files") == root / "app.conf"


def test_embedded_files_are_recorded_by_digest_with_their_inputs(root: Path) -> None:
    sources = SourceFiles(SourceSettings(root=root))
    entry = sources.file(root / "app.conf", "app.conf")
    digest = hashlib.sha256(b"from the root\n").hexdigest()
    assert entry == {"type": "file", "blob": digest, "size": 14, "mode": entry["mode"]}
    assert sources.blobs == {digest: b"from the root\n"}
    assert list(sources.inputs) == [str((root / "app.conf").resolve())]


def test_a_folder_is_listed_sorted_with_modes(root: Path) -> None:
    tree = root / "site"
    (tree / "b").mkdir(parents=True)
    (tree / "b" / "z.txt").write_text("z")
    (tree / "a.txt").write_text("a")
    (tree / "a.txt").chmod(0o640)
    entries = SourceFiles(SourceSettings(root=root)).tree(tree, "site")
    assert [(e["path"], e["type"]) for e in entries] == [
        ("b", "directory"),
        ("a.txt", "file"),
        ("b/z.txt", "file"),
    ]
    assert entries[1]["mode"] == "0640"


def test_missing_and_templated_sources_are_refused(root: Path) -> None:
    sources = SourceFiles(SourceSettings(root=root))
    with pytest.raises(ArgumentError, match=r"could not find src 'nope.txt' \(looked in "):
        sources.locate("nope.txt", "files")
    with pytest.raises(ArgumentError, match="sources are embedded in the binary at build time"):
        sources.locate("{{ name }}.conf", "files")


def test_sources_outside_the_root_need_permission(root: Path, tmp_path_factory: Any) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "secret.txt"
    outside.write_text("secret")
    strict = SourceFiles(SourceSettings(root=root))
    for src in (str(outside), f"../{outside.parent.name}/secret.txt"):
        with pytest.raises(ArgumentError, match="is outside the source root"):
            strict.locate(src, "files")
    allowed = SourceFiles(SourceSettings(root=root, allow_outside=True))
    assert allowed.locate(str(outside), "files") == outside
    # A symlink the root itself holds is the root owner's choice.
    (root / "shared").symlink_to(outside.parent)
    assert strict.locate("shared/secret.txt", "files") == root / "shared" / "secret.txt"


def test_template_headers_and_lowering_errors_name_the_file(root: Path) -> None:
    sources = SourceFiles(SourceSettings(root=root))
    assert sources.template("motd.j2", {}) == 0
    assert sources.template("motd.j2", {}) == 0  # lowered once
    (root / "templates" / "strip.j2").write_text("#jinja2: trim_blocks: False\n{% if x %}\ny\n")
    with pytest.raises(ArgumentError, match=r"template 'strip.j2': line 2: "):
        sources.template("strip.j2", {})
    (root / "templates" / "delims.j2").write_text("#jinja2: variable_start_string: '[['\n")
    with pytest.raises(ArgumentError, match="header setting .* is not supported"):
        sources.template("delims.j2", {})


def _static_plan(folder: Path, checksum: str = "placeholder-checksum", size: int = 1024) -> Path:
    document = plan_document([task("task_0", "debug", {"msg": "shipping"})])
    document["binary_deployments"][0]["embedded_data"]["static_files"] = [
        {
            "src_path": "payload.bin",
            "dest_path": "/srv/payload.bin",
            "checksum": checksum,
            "size": size,
        }
    ]
    plan = folder / "plan.json"
    plan.write_text(json.dumps(document))
    return plan


def test_static_files_are_embedded_and_checked(tmp_path: Path) -> None:
    (tmp_path / "payload.bin").write_bytes(b"static bytes \x00\x01 rustle-marker-7f3a")
    plan = _static_plan(tmp_path)
    rendered = cli_json("render", "--plan", str(plan))
    digest = hashlib.sha256(b"static bytes \x00\x01 rustle-marker-7f3a").hexdigest()
    assert f"files/{digest}" in rendered["files"]

    wrong = _static_plan(tmp_path, checksum="0" * 64)
    result = cli("render", "--plan", str(wrong))
    assert result.returncode == 3
    assert f"static file 'payload.bin' has SHA-256 {digest}, but the plan says" in result.stderr

    right = _static_plan(tmp_path, checksum=digest, size=33)
    result = cli("render", "--plan", str(right))
    assert result.returncode == 3 and "is 34 bytes, but the plan says 33" in result.stderr


def test_a_changed_source_is_never_served_from_the_cache(tmp_path: Path) -> None:
    source = tmp_path / "payload.bin"
    source.write_bytes(b"first version rustle-marker-1")
    plan = _static_plan(tmp_path)
    first = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    again = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    assert again["cache_hit"] and again["cache_key"] == first["cache_key"]
    assert b"first version rustle-marker-1" in Path(first["binary_path"]).read_bytes()

    source.write_bytes(b"second version rustle-marker-2")
    changed = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    assert not changed["cache_hit"] and changed["cache_key"] != first["cache_key"]
    assert b"second version rustle-marker-2" in Path(changed["binary_path"]).read_bytes()

    # A mode or time change is re-checked too (copy's mode: preserve, template_mtime); here
    # the bytes built are the same, so it ends as a real cache hit.
    source.chmod(0o600)
    moded = cli_json("compile", "--plan", str(plan), "--profile", "debug")["binaries"][0]
    assert moded["cache_key"] == changed["cache_key"]
    assert moded["cache_hit"]


def test_src_root_must_be_a_folder(tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_document([task("task_0", "debug", {"msg": "x"})])))
    result = cli("render", "--plan", str(plan), "--src-root", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "is not a folder" in result.stderr
