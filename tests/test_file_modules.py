"""file, copy and template: the compiled binary against ansible-playbook, tree by tree.

One play of many file/copy/template cases runs under ansible-playbook into one seeded folder
and as a compiled binary into another. The two trees must then be identical (names, types,
modes, link targets, hard-link groups, contents), task by task statuses and ``changed`` must
agree, and so must the result keys the play prints. A second run must agree with Ansible's
second run (nothing changes), and ``--check --diff`` on fresh folders must leave them as
seeded, agree on ``changed`` and carry the same diffs. Controller errors (missing or outside
sources, templated sources, unsupported template constructs) fail the build with exit code 3.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from ansible_play import compile_debug, run_ansible, run_report, to_plan
from conftest import cli, cli_json, task, write_plan

from rustle_invoke import process

pytestmark = pytest.mark.cargo

APP_TEMPLATE = """\
# {{ ansible_managed }}
[server]
name = {{ app_name }}
port = {{ port }}
{% for feature in features %}
feature.{{ feature }} = {{ loop.index }}
{% endfor %}
{% if port > 1024 %}
unprivileged = true
{% endif %}
"""

STRIP_TEMPLATE = """\
items:
    {% for f in features %}
  - {{ f }}
    {% endfor %}
end
"""

CRLF_TEMPLATE = "line one\nline {{ port }}\n"

R = "{{ root }}"
SHOW = (
    "{{ r.dest | default('-') | replace(root, 'ROOT') }} "
    "{{ r.path | default('-') | replace(root, 'ROOT') }} {{ r.mode | default('-') }} "
    "{{ r.state | default('-') }} {{ r.size | default('-') }} {{ r.checksum | default('-') }} "
    "{{ r.md5sum | default('-') }} {{ 'backup_file' in r }} {{ r.owner | default('-') }} "
    "{{ r.changed }}"
)


def _t(name: str, module: str, args: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": name, module: args, **extra}


TASKS: list[dict[str, Any]] = [
    _t("dir", "file", {"path": f"{R}/d1", "state": "directory", "mode": "0750"}),
    _t(
        "nested symbolic",
        "file",
        {"path": f"{R}/a/b/c", "state": "directory", "mode": "u=rwx,g=rx,o="},
    ),
    _t(
        "touch preserve",
        "file",
        {
            "path": f"{R}/d1/touched",
            "state": "touch",
            "mode": "0600",
            "modification_time": "preserve",
            "access_time": "preserve",
        },
    ),
    _t(
        "touch stamped",
        "file",
        {
            "path": f"{R}/d1/stamped",
            "state": "touch",
            "modification_time": "202001021530.45",
            "access_time": "202001021530.45",
        },
    ),
    _t(
        "content",
        "copy",
        {"content": "hello\n", "dest": f"{R}/d1/hello.txt", "mode": "0644"},
        register="r_content",
    ),
    _t(
        "json content int mode",
        "copy",
        {"content": {"a": [1, 2], "b": "\u00e9"}, "dest": f"{R}/d1/data.json", "mode": 0o640},
        register="r_json",
    ),
    _t("content for symbolic", "copy", {"content": "sym\n", "dest": f"{R}/d1/sym.txt"}),
    _t(
        "symbolic on file",
        "file",
        {"path": f"{R}/d1/sym.txt", "mode": "u=rw,g=r,o="},
        register="r_sym",
        ignore_errors=True,
    ),
    _t(
        "relative link",
        "file",
        {"path": f"{R}/d1/link-rel", "src": "hello.txt", "state": "link"},
        register="r_link",
        ignore_errors=True,
    ),
    _t(
        "absolute link",
        "file",
        {"path": f"{R}/d1/link-abs", "src": f"{R}/d1/hello.txt", "state": "link"},
        ignore_errors=True,
    ),
    _t(
        "hard link",
        "file",
        {"path": f"{R}/d1/hard", "src": f"{R}/d1/hello.txt", "state": "hard"},
        register="r_hard",
        ignore_errors=True,
    ),
    _t(
        "dangling forced",
        "file",
        {"path": f"{R}/d1/dangling", "src": "missing.txt", "state": "link", "force": True},
    ),
    _t(
        "folder",
        "copy",
        {"src": "site", "dest": f"{R}/www", "directory_mode": "0750"},
        register="r_tree",
    ),
    _t(
        "folder contents",
        "copy",
        {"src": "site/", "dest": f"{R}/www2/", "directory_mode": "0700", "mode": "0600"},
    ),
    _t(
        "file into dir slash",
        "copy",
        {"src": "one.txt", "dest": f"{R}/d1/", "mode": "preserve"},
        register="r_one",
    ),
    _t("file into dir", "copy", {"src": "one.txt", "dest": f"{R}/a"}, register="r_one_a"),
    _t(
        "force false",
        "copy",
        {"content": "other\n", "dest": f"{R}/keep.txt", "force": False},
        register="r_keep",
    ),
    _t(
        "backup",
        "copy",
        {"content": "v2\n", "dest": f"{R}/backed.txt", "backup": True},
        register="r_backup",
    ),
    _t(
        "template",
        "template",
        {"src": "app.conf.j2", "dest": f"{R}/d1/app.conf", "mode": "0640"},
        register="r_tpl",
        ignore_errors=True,
    ),
    _t(
        "template lstrip",
        "template",
        {
            "src": "strip.j2",
            "dest": f"{R}/d1/strip.txt",
            "lstrip_blocks": True,
            "trim_blocks": False,
        },
        ignore_errors=True,
    ),
    _t(
        "template crlf",
        "template",
        {"src": "crlf.j2", "dest": f"{R}/d1/crlf.txt", "newline_sequence": "\r\n"},
        ignore_errors=True,
    ),
    _t(
        "template into dir",
        "template",
        {"src": "app.conf.j2", "dest": f"{R}/d1/"},
        register="r_tpl_dir",
        ignore_errors=True,
    ),
    _t("absent tree", "file", {"path": f"{R}/old", "state": "absent"}, register="r_absent"),
    _t("absent nothing", "file", {"path": f"{R}/never", "state": "absent"}),
    _t(
        "recurse",
        "file",
        {"path": f"{R}/tree", "state": "directory", "recurse": True, "mode": "u=rwX,g=rX,o="},
    ),
    _t(
        "link over file",
        "file",
        {"path": f"{R}/to-link", "src": "d1/hello.txt", "state": "link", "force": True},
        ignore_errors=True,
    ),
    _t(
        "hard over file",
        "file",
        {"path": f"{R}/hard-dest.txt", "src": f"{R}/hard-src.txt", "state": "hard", "force": True},
    ),
    _t(
        "dir over file",
        "file",
        {"path": f"{R}/plainfile", "state": "directory"},
        ignore_errors=True,
    ),
    _t("missing file", "file", {"path": f"{R}/nope"}, ignore_errors=True),
    _t("copy over link", "copy", {"content": "replaced\n", "dest": f"{R}/over-link"}),
    _t(
        "remote file",
        "copy",
        {"src": f"{R}/remote-file.txt", "dest": f"{R}/remote-copy.txt", "remote_src": True},
        register="r_remote",
    ),
    _t(
        "remote folder",
        "copy",
        {"src": f"{R}/remote", "dest": f"{R}/remote-copy", "remote_src": True},
    ),
    _t(
        "remote contents",
        "copy",
        {"src": f"{R}/remote/", "dest": f"{R}/remote-contents", "remote_src": True},
    ),
    _t(
        "validate ok",
        "copy",
        {"content": "valid\n", "dest": f"{R}/validated.txt", "validate": "test -s %s"},
    ),
    _t(
        "validate fails",
        "copy",
        {"content": "x\n", "dest": f"{R}/invalid.txt", "validate": "grep -q zzz %s"},
        ignore_errors=True,
    ),
    _t(
        "touch symbolic",
        "file",
        {
            "path": f"{R}/a/b/c/new",
            "state": "touch",
            "mode": "a=r",
            "modification_time": "preserve",
            "access_time": "preserve",
        },
        ignore_errors=True,
    ),
    _t(
        "single file folder",
        "copy",
        {"src": "single", "dest": f"{R}/single-out"},
        register="r_single",
    ),
    _t(
        "missing parents",
        "copy",
        {"src": "one.txt", "dest": f"{R}/newdir/sub/", "directory_mode": "0711"},
        register="r_parents",
    ),
    _t(
        "owner group",
        "file",
        {"path": f"{R}/keep.txt", "owner": "{{ me }}", "group": "{{ my_group }}"},
    ),
    _t("int mode on file", "file", {"path": f"{R}/backed.txt", "mode": 0o600}),
    _t("link target content", "copy", {"content": "t\n", "dest": f"{R}/d1/target-for-mode"}),
    _t(
        "link mode follows",
        "file",
        {"path": f"{R}/d1/link-mode", "src": "target-for-mode", "state": "link", "mode": "0600"},
        ignore_errors=True,
    ),
    _t(
        "copy follow",
        "copy",
        {"content": "followed\n", "dest": f"{R}/follow-link", "follow": True},
        register="r_follow",
    ),
    _t(
        "touch dir",
        "file",
        {
            "path": f"{R}/d1",
            "state": "touch",
            "modification_time": "preserve",
            "access_time": "preserve",
        },
        ignore_errors=True,
    ),
    _t("folder over old", "copy", {"src": "site", "dest": f"{R}/www3"}),
    _t(
        "template force false",
        "template",
        {"src": "app.conf.j2", "dest": f"{R}/keep.txt", "force": False},
        register="r_tpl_keep",
    ),
    _t(
        "numeric owner",
        "copy",
        {
            "content": "n\n",
            "dest": f"{R}/numeric.txt",
            "owner": "{{ my_uid }}",
            "group": "{{ my_gid }}",
        },
    ),
    _t("symbolic X on dir", "file", {"path": f"{R}/tree2", "state": "directory", "mode": "a+X"}),
    _t("folder preserve", "copy", {"src": "site/", "dest": f"{R}/www4/", "mode": "preserve"}),
    _t("absent link", "file", {"path": f"{R}/link-to-remove", "state": "absent"}),
    _t(
        "hard again",
        "file",
        {"path": f"{R}/hard-dest.txt", "src": f"{R}/hard-src.txt", "state": "hard"},
        register="r_hard_again",
    ),
]

REGISTERED = [t["register"] for t in TASKS if "register" in t]
SHOWS = [
    _t(f"show {name}", "debug", {"msg": SHOW}, vars={"r": f"{{{{ {name} }}}}"})
    for name in REGISTERED
]


def play(root: Path) -> dict[str, Any]:
    import getpass
    import grp

    return {
        "name": "files",
        "vars": {
            "root": str(root),
            "app_name": "demo",
            "port": 8080,
            "features": ["auth", "api"],
            "me": getpass.getuser(),
            "my_group": grp.getgrgid(os.getegid()).gr_name,
            "my_uid": os.geteuid(),
            "my_gid": os.getegid(),
        },
        "tasks": TASKS + SHOWS,
    }


def seed(root: Path) -> Path:
    """The same starting tree for every run."""
    root.mkdir(parents=True)
    (root / "old" / "sub").mkdir(parents=True)
    (root / "old" / "sub" / "f.txt").write_text("old\n")
    (root / "tree" / "sub").mkdir(parents=True)
    (root / "tree" / "a.txt").write_text("a\n")
    (root / "tree" / "a.txt").chmod(0o666)
    (root / "tree" / "sub").chmod(0o777)
    (root / "tree" / "sub" / "b.sh").write_text("#!/bin/sh\n")
    (root / "tree" / "sub" / "b.sh").chmod(0o750)
    (root / "to-link").write_text("file to be replaced by a link\n")
    (root / "hard-src.txt").write_text("hard source\n")
    (root / "hard-dest.txt").write_text("hard dest\n")
    (root / "plainfile").write_text("plain\n")
    (root / "backed.txt").write_text("v1\n")
    (root / "keep.txt").write_text("keep\n")
    (root / "over-link").symlink_to("keep.txt")
    (root / "remote" / "deep").mkdir(parents=True)
    (root / "remote" / "x.txt").write_text("x\n")
    (root / "remote" / "deep" / "y.txt").write_text("y\n")
    (root / "remote-file.txt").write_text("remote\n")
    (root / "remote-file.txt").chmod(0o640)
    (root / "follow-target.txt").write_text("f\n")
    (root / "follow-link").symlink_to("follow-target.txt")
    (root / "www3" / "site").mkdir(parents=True)
    (root / "www3" / "site" / "index.html").write_text("old\n")
    (root / "tree2").mkdir()
    (root / "tree2").chmod(0o700)
    (root / "link-to-remove").symlink_to("remote")
    return root


BACKUP = re.compile(r"\.\d+\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~$")


def _read(path: Path) -> bytes:
    """File contents without touching its access time (``touch`` compares it)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOATIME", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def tree(root: Path) -> dict[str, tuple[Any, ...]]:
    """Every path under ``root``: type, mode, contents or link target, hard-link group."""
    found: dict[str, tuple[Any, ...]] = {}
    inodes: dict[int, list[str]] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            st = path.lstat()
            rel = BACKUP.sub(".BACKUP", path.relative_to(root).as_posix())
            mode = f"{stat.S_IMODE(st.st_mode):04o}"
            if stat.S_ISLNK(st.st_mode):
                found[rel] = ("link", os.readlink(path).replace(str(root), "ROOT"))
            elif stat.S_ISDIR(st.st_mode):
                found[rel] = ("dir", mode)
            else:
                found[rel] = ("file", mode, _read(path))
                inodes.setdefault(st.st_ino, []).append(rel)
    for group in inodes.values():
        if len(group) > 1:
            for rel in group:
                found[rel] = (*found[rel], tuple(sorted(group)))
    return found


def records(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for r in report["tasks"]:
        msg = r["msg"] if r["name"].startswith("show ") else None
        out.append((r["name"], r["status"], r["changed"], r.get("ignored", False), msg))
    return out


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("file-modules")
    files = folder / "files"
    (files / "site" / "css").mkdir(parents=True)
    (files / "site" / "img").mkdir()
    (files / "site" / "index.html").write_text("<h1>hi</h1>\n")
    (files / "site" / "css" / "a.css").write_text("h1 { color: red }\n")
    (files / "site" / "run.sh").write_text("#!/bin/sh\necho hi\n")
    (files / "site" / "run.sh").chmod(0o755)
    (files / "single").mkdir()
    (files / "single" / "only.txt").write_text("only\n")
    (files / "one.txt").write_text("one\n")
    (files / "one.txt").chmod(0o640)
    (folder / "templates").mkdir()
    (folder / "templates" / "app.conf.j2").write_text(APP_TEMPLATE)
    (folder / "templates" / "strip.j2").write_text(STRIP_TEMPLATE)
    (folder / "templates" / "crlf.j2").write_text(CRLF_TEMPLATE)
    return folder


@pytest.fixture(scope="module")
def binary(project: Path) -> Path:
    plan = project / "plan.json"
    plan.write_text(json.dumps(to_plan(play(Path("/nonexistent")))))
    return compile_debug(plan)


def run_theirs(project: Path, root: Path, *args: str, tag: str = "") -> tuple[int, dict[str, Any]]:
    folder = project / f"ansible-{root.parent.name}-{root.name}{tag}"
    folder.mkdir()
    # Ansible looks for files/ and templates/ beside the playbook: give it the same ones.
    for name in ("files", "templates"):
        (folder / name).symlink_to(project / name)
    return run_ansible(play(root), folder, *args)


@pytest.fixture(scope="module")
def real_runs(project: Path, binary: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("targets")
    theirs_root, ours_root = seed(base / "theirs"), seed(base / "ours")
    runs = {
        "theirs": run_theirs(project, theirs_root),
        "ours": run_report(binary, ours_root),
        "theirs_tree": tree(theirs_root),
        "ours_tree": tree(ours_root),
    }
    runs["theirs_again"] = run_theirs(project, theirs_root, tag="-again")
    runs["ours_again"] = run_report(binary, ours_root)
    runs["theirs_tree_again"] = tree(theirs_root)
    runs["ours_tree_again"] = tree(ours_root)
    return runs


def test_the_tree_is_exactly_ansibles(real_runs: dict) -> None:
    theirs, ours = real_runs["theirs_tree"], real_runs["ours_tree"]
    assert sorted(ours) == sorted(theirs)
    for path in theirs:
        assert ours[path] == theirs[path], path


def test_statuses_changed_and_result_keys_match(real_runs: dict) -> None:
    (theirs_rc, theirs), (ours_rc, ours) = real_runs["theirs"], real_runs["ours"]
    assert records(ours) == records(theirs)
    for key in ("ok", "changed", "failed", "skipped"):
        assert ours["recap"][key] == theirs["recap"][key], key
    assert ours_rc == theirs_rc
    by_name = {r["name"]: r for r in ours["tasks"]}
    # The cases this play exists for really happened.
    assert by_name["content"]["changed"] and by_name["folder"]["changed"]
    assert by_name["validate fails"]["msg"] == "failed to validate"
    assert by_name["missing file"]["msg"].endswith("/nope) is absent, cannot continue")


def test_second_run_changes_nothing_as_in_ansible(real_runs: dict) -> None:
    _, theirs = real_runs["theirs_again"]
    _, ours = real_runs["ours_again"]
    assert records(ours) == records(theirs)
    changed = [r["name"] for r in ours["tasks"] if r["changed"]]
    assert changed == []
    assert real_runs["ours_tree_again"] == real_runs["ours_tree"]


def test_check_mode_changes_nothing_and_diffs_agree(
    project: Path, binary: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.mktemp("check")
    theirs_root, ours_root = seed(base / "theirs"), seed(base / "ours")
    before = tree(ours_root)
    _, theirs = run_theirs(project, theirs_root, "--check", "--diff")
    _, ours = run_report(binary, ours_root, "--check", "--diff")
    assert tree(ours_root) == before
    assert tree(theirs_root) == before
    assert records(ours) == records(theirs)
    theirs_diffs = {r["name"]: r["result"].get("diff") for r in theirs["tasks"]}
    checked = 0
    for record in ours["tasks"]:
        mine, expected = record.get("diff"), theirs_diffs[record["name"]]
        if record["module"] not in ("copy", "template") or not expected:
            continue
        mine = mine if isinstance(mine, list) else [mine]
        expected = expected if isinstance(expected, list) else [expected]
        keys = ("before", "after")
        assert [{k: d.get(k) for k in keys} for d in mine] == [
            {k: d.get(k) for k in keys} for d in expected
        ], record["name"]
        checked += 1
    assert checked >= 5
    content = next(r for r in ours["tasks"] if r["name"] == "content")
    assert content["diff"][0]["before"] == "" and content["diff"][0]["after"] == "hello\n"


def test_text_diff_is_shown(binary: Path, tmp_path: Path) -> None:
    root = seed(tmp_path / "t")
    result = process.run([binary, "-e", f"root={root}", "--diff", "--check"], timeout=300)
    assert "+hello" in result.stdout
    assert "-v1\n+v2" in result.stdout


# --- the upstream fixtures -------------------------------------------------------------


def _rewrite(document: Any, old: str, new: str) -> Any:
    return json.loads(json.dumps(document).replace(old, new))


def test_upstream_file_operations_plan(shared_fixtures: Path, tmp_path: Path) -> None:
    source = json.loads((shared_fixtures / "plans" / "file_operations_plan.json").read_text())
    target = tmp_path / "target"
    document = _rewrite(source, "/tmp/rustle_file_test", str(target))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(document))
    src_root = tmp_path / "root"
    (src_root / "tests").mkdir(parents=True)
    (src_root / "tests" / "fixtures").symlink_to(shared_fixtures)
    code, report = _run_plan(plan, src_root)
    by_name = {t["name"]: t for t in report["tasks"]}
    # As under Ansible: the directories are made, the copy into the missing config/ folder
    # fails (copy creates parents only for a dest ending in '/').
    assert target.is_dir() and stat.S_IMODE(target.stat().st_mode) == 0o750
    failed = [t for t in report["tasks"] if t["status"] == "failed"]
    assert code == 2 and len(failed) == 1
    assert failed[0]["msg"] == f"Destination directory {target}/config does not exist"
    assert by_name[failed[0]["name"]]["module"] == "copy"


def _run_plan(plan: Path, src_root: Path, *args: str) -> tuple[int, dict[str, Any]]:
    # The upstream deployments ask for static linking (musl), whose std this machine lacks.
    binary = cli_json(
        "compile",
        "--plan",
        str(plan),
        "--profile",
        "debug",
        "--src-root",
        str(src_root),
        "--target",
        "host",
    )["binaries"][0]["binary_path"]
    result = process.run([binary, "--format", "json", *args], timeout=300)
    return result.returncode, json.loads(result.stdout)


def test_upstream_jinja_template_plan(shared_fixtures: Path, tmp_path: Path) -> None:
    # A legacy rustle-deploy document (top-level tasks): its tasks, in a rustle-plan plan.
    source = json.loads((shared_fixtures / "plans" / "jinja_template_plan.json").read_text())
    target = tmp_path / "out"
    legacy = _rewrite(source["tasks"], "/tmp/rustle_template_test", str(target))
    tasks = [
        task(f"t_{i}", item["module"], item["args"], name=item["name"])
        for i, item in enumerate(legacy)
    ]
    plan = write_plan(tmp_path / "plan.json", tasks)
    src_root = tmp_path / "root"
    (src_root / "tests").mkdir(parents=True)
    (src_root / "tests" / "fixtures").symlink_to(shared_fixtures)
    code, report = _run_plan(plan, src_root)
    assert code == 0, report
    config = (target / "app_config.yaml").read_text()
    assert 'name = "RustleApp"' in config and "port = 8080" in config
    assert "debug = False" in config and 'host = "localhost"' in config
    script = target / "startup.sh"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    text = script.read_text()
    assert 'LOG_LEVEL="INFO"' in text and "export ENABLE_MONITORING=true" in text
    assert text.count("--worker-id=") == 4 and "set -x" not in text
    code, again = _run_plan(plan, src_root)
    assert [t["changed"] for t in again["tasks"]] == [False] * len(again["tasks"])


# --- controller errors -----------------------------------------------------------------


def _compile_error(plan: Path, *args: str) -> str:
    result = cli("compile", "--plan", str(plan), "--profile", "debug", *args)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_missing_source_is_a_plan_error(tmp_path: Path) -> None:
    plan = write_plan(
        tmp_path / "p.json", [task("t_0", "copy", {"src": "nope.txt", "dest": "/tmp/x"})]
    )
    err = _compile_error(plan)
    assert "could not find src 'nope.txt'" in err and "t_0" in err


def test_sources_outside_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (tmp_path / "proj").mkdir()
    args = {"src": "../outside.txt", "dest": "/tmp/x"}
    plan = write_plan(tmp_path / "proj" / "p.json", [task("t_0", "copy", args)])
    assert "outside the source root" in _compile_error(plan)
    allowed = cli_json("compile", "--plan", str(plan), "--profile", "debug",
                       "--allow-src-outside-root")  # fmt: skip
    assert allowed["binaries"]
    other = tmp_path / "other-root"
    other.mkdir()
    (other / "files").mkdir()
    (other / "files" / "in.txt").write_text("in\n")
    plan2 = write_plan(
        tmp_path / "proj" / "p2.json", [task("t_0", "copy", {"src": "in.txt", "dest": "/tmp/x"})]
    )
    assert "could not find" in _compile_error(plan2)
    ok = cli_json("compile", "--plan", str(plan2), "--profile", "debug", "--src-root", str(other))
    assert ok["binaries"]


def test_templated_source_and_bad_arguments_are_refused(tmp_path: Path) -> None:
    cases = [
        ("copy", {"src": "{{ name }}.txt", "dest": "/tmp/x"}, "is a template"),
        ("copy", {"content": "x", "dest": "/tmp/dir/"}, "can not use content with a dir as dest"),
        ("copy", {"dest": "/tmp/x"}, "src (or content) is required"),
        ("file", {"path": "/tmp/x", "mode": "u=rwz"}, "mode must be in octal or symbolic form"),
        ("file", {"path": "/tmp/x", "mode": "17777"}, "Invalid mode supplied"),
        ("file", {"path": "/tmp/x", "state": "gone"}, "value of state must be one of"),
        ("file", {"path": "/tmp/x", "recurse": True, "state": "file"}, "recurse option requires"),
        ("template", {"src": "t.j2", "dest": "/tmp/x", "output_encoding": "latin-1"}, "UTF-8 only"),
        (
            "template",
            {"src": "t.j2", "dest": "/tmp/x", "state": "file"},
            "'state' cannot be specified",
        ),
    ]
    (tmp_path / "t.j2").write_text("x\n")
    for index, (module, args, message) in enumerate(cases):
        plan = write_plan(tmp_path / f"p{index}.json", [task("t_0", module, args)])
        assert message in _compile_error(plan), (module, args)


def test_unsupported_template_construct_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "bad.j2").write_text("ok\n{% include 'other.j2' %}\n")
    plan = write_plan(
        tmp_path / "p.json", [task("t_0", "template", {"src": "bad.j2", "dest": "/tmp/x"})]
    )
    err = _compile_error(plan)
    assert "bad.j2" in err and "line 2" in err
