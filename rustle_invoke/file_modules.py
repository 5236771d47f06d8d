"""Controller side of the ``file``, ``copy`` and ``template`` modules.

The normalizers check arguments the way Ansible's argument specs and action plugins do
(names, choices, booleans, modes), so a typo fails the build with the task's name. The
``embed_*`` functions read ``copy`` and ``template`` sources on the controller: files and
folders are embedded by digest, templates are lowered, and the facts Ansible's template
variables need about the source file are computed here. Values that are Jinja2 templates
pass through and are checked again on the target once rendered.
"""

from __future__ import annotations

import datetime
import os
import pwd
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .lowering import has_jinja
from .modules import ArgumentError, as_bool, optional_str, reject_unknown

# SELinux options: accepted and ignored, as Ansible ignores them where SELinux is off.
_SELINUX = {"seuser", "serole", "setype", "selevel"}
_FILE_COMMON = {"mode", "owner", "group", "unsafe_writes"} | _SELINUX

_FILE_STATES = ("absent", "directory", "file", "hard", "link", "touch")
_MODE_OPERATOR = re.compile(r"[+=-]")
_USERS = re.compile(r"^[ugo]*$")
_PERMS = re.compile(r"^[rwxXstugo]*$")

# Ansible's template lexer options whose non-default values the lowering cannot honour.
_TEMPLATE_MARKERS = {
    "variable_start_string": "{{",
    "variable_end_string": "}}",
    "block_start_string": "{%",
    "block_end_string": "%}",
    "comment_start_string": "{#",
    "comment_end_string": "#}",
}
_NEWLINES = {"\n": "\n", "\r": "\r", "\r\n": "\r\n", "\\n": "\n", "\\r": "\r", "\\r\\n": "\r\n"}
_UTF8_NAMES = {"utf-8", "utf8", "utf_8", "u8", "cp65001"}


def _templated(value: Any) -> bool:
    return isinstance(value, str) and has_jinja(value)


def check_mode(value: Any, *, allow_preserve: bool = False, key: str = "mode") -> Any:
    """A mode as Ansible takes it: an int is the mode itself, a string is octal when it
    parses as octal, else symbolic (``u=rw,g=r``); ``preserve`` where allowed."""
    if value is None or _templated(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ArgumentError(
            f"{key} must be in octal or symbolic form, got {type(value).__name__} {value!r}"
        )
    if isinstance(value, int):
        if value < 0:
            raise ArgumentError(
                f"{key} {value!r}: Invalid mode supplied, only permission info is allowed"
            )
        return value
    if value == "preserve":
        if not allow_preserve:
            raise ArgumentError(f"{key} 'preserve' is only supported by copy and template")
        return value
    try:
        number = int(value, 8)
    except ValueError:
        number = None
    if number is not None:
        if not 0 <= number <= 0o7777:
            raise ArgumentError(
                f"{key} {value!r}: Invalid mode supplied, only permission info is allowed"
            )
        return value
    for clause in value.split(","):
        parts = _MODE_OPERATOR.split(clause)
        users = parts[0]
        if users == "a":
            users = "ugo"
        if not _USERS.match(users) or not all(_PERMS.match(p) for p in parts[1:]):
            raise ArgumentError(
                f"{key} {value!r}: mode must be in octal or symbolic form "
                f"(bad symbolic permission for mode: {clause})"
            )
    return value


def _choice(args: Mapping[str, Any], key: str, choices: tuple[str, ...]) -> Any:
    value = args.get(key)
    if value is None or _templated(value):
        return value
    if value not in choices:
        raise ArgumentError(f"value of {key} must be one of: {', '.join(choices)}, got: {value}")
    return value


def _id(args: Mapping[str, Any], key: str) -> Any:
    value = args.get(key)
    if value is None or _templated(value):
        return value
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ArgumentError(f"{key!r} must be a name or a numeric id, got {value!r}")
    return value


def _path(args: Mapping[str, Any], key: str) -> Any:
    value = args.get(key)
    if value is None or _templated(value):
        return value
    if not isinstance(value, str):
        raise ArgumentError(f"{key!r} must be a path, got {type(value).__name__} {value!r}")
    return value


def _no_attributes(module: str, args: Mapping[str, Any]) -> None:
    for key in ("attributes", "attr"):
        if args.get(key) not in (None, ""):
            raise ArgumentError(
                f"({module}) {key}: file attributes (chattr flags) are not supported by the "
                "runtime; set them with a command task"
            )


def _common(args: Mapping[str, Any], *, allow_preserve: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "mode" in args and args["mode"] is not None:
        out["mode"] = check_mode(args["mode"], allow_preserve=allow_preserve)
    for key in ("owner", "group"):
        if args.get(key) is not None:
            out[key] = _id(args, key)
    return out


def _bools(args: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {key: as_bool(args, key, False) for key in keys if args.get(key) is not None}


# --- file ------------------------------------------------------------------------------


def normalize_file(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown(
        "file",
        args,
        _FILE_COMMON
        | {
            "path",
            "dest",
            "name",
            "state",
            "recurse",
            "src",
            "force",
            "follow",
            "modification_time",
            "modification_time_format",
            "access_time",
            "access_time_format",
            "attributes",
            "attr",
        },
    )
    _no_attributes("file", args)
    given = [key for key in ("path", "dest", "name") if args.get(key) is not None]
    if not given:
        raise ArgumentError("missing required arguments: path")
    if len(given) > 1:
        raise ArgumentError(f"(file) takes one of path, dest and name, got {', '.join(given)}")
    path = _path(args, given[0])
    if path == "":
        raise ArgumentError("missing required arguments: path")
    out: dict[str, Any] = {"path": path}
    if args.get("state") is not None:
        out["state"] = _choice(args, "state", _FILE_STATES)
    if args.get("src") is not None:
        out["src"] = _path(args, "src")
    out.update(_common(args, allow_preserve=False))
    out.update(_bools(args, ("recurse", "force", "follow")))
    for key in (
        "modification_time",
        "modification_time_format",
        "access_time",
        "access_time_format",
    ):
        value = optional_str(args, key)
        if value is not None:
            out[key] = value
    state = out.get("state")
    if isinstance(state, str) and not has_jinja(state):
        if out.get("recurse") is True and state != "directory":
            raise ArgumentError("recurse option requires state to be 'directory'")
        if out.get("src") is not None and state not in ("link", "hard"):
            raise ArgumentError("src option requires state to be 'link' or 'hard'")
    return out


# --- copy ------------------------------------------------------------------------------

_COPY_KEYS = _FILE_COMMON | {
    "src",
    "content",
    "dest",
    "backup",
    "force",
    "validate",
    "directory_mode",
    "remote_src",
    "follow",
    "local_follow",
    "decrypt",
    "checksum",
    "attributes",
    "attr",
}


def normalize_copy(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("copy", args, _COPY_KEYS)
    _no_attributes("copy", args)
    src, content, dest = args.get("src"), args.get("content"), args.get("dest")
    if not src and content is None:
        raise ArgumentError("src (or content) is required")
    if not dest:
        raise ArgumentError("dest is required")
    if src and content is not None:
        raise ArgumentError("src and content are mutually exclusive")
    dest = _path(args, "dest")
    if content is not None and isinstance(dest, str) and dest.endswith("/"):
        raise ArgumentError("can not use content with a dir as dest")
    out: dict[str, Any] = {"dest": dest}
    if src:
        out["src"] = _path(args, "src")
    if content is not None:
        out["content"] = content
    out.update(_common(args, allow_preserve=True))
    out.update(_bools(args, ("backup", "force", "remote_src", "follow", "local_follow")))
    if args.get("directory_mode") is not None:
        out["directory_mode"] = check_mode(args["directory_mode"], key="directory_mode")
    for key in ("validate", "checksum"):
        value = optional_str(args, key)
        if value:
            out[key] = value
    validate = out.get("validate")
    if isinstance(validate, str) and not has_jinja(validate) and "%s" not in validate:
        raise ArgumentError(f"validate must contain %s: {validate}")
    return out


def _tree_has_links(path: Path) -> bool:
    for folder, dirs, files in os.walk(path, followlinks=True):
        if any(os.path.islink(os.path.join(folder, name)) for name in dirs + files):
            return True
    return False


def embed_copy(args: dict[str, Any], sources: Any) -> dict[str, Any]:
    """Embeds a controller ``src`` (file or folder) as ``_source``."""
    if "content" in args or "src" not in args:
        return args
    remote = args.get("remote_src", False)
    if _templated(remote):
        raise ArgumentError(
            "remote_src must be a fixed true or false: whether src is embedded at build time "
            "depends on it"
        )
    if remote is True:
        return args
    src = args["src"]
    path = sources.locate(src, "files")
    if path.is_dir():
        if args.get("local_follow") is False and _tree_has_links(path):
            raise ArgumentError(
                f"src {src!r} holds symbolic links and local_follow is false: copying links "
                "as links from an embedded folder is not supported"
            )
        source: dict[str, Any] = {
            "type": "tree",
            "name": None if src.endswith("/") else path.name,
            # As the plan wrote it: no controller paths in the binary, the same bytes in any
            # checkout.
            "path": src,
            "entries": sources.tree(path, src),
        }
    else:
        source = {**sources.file(path, src), "path": src}
    return {**args, "_source": source}


# --- template --------------------------------------------------------------------------

_TEMPLATE_KEYS = (
    _FILE_COMMON
    | set(_TEMPLATE_MARKERS)
    | {
        "src",
        "dest",
        "backup",
        "force",
        "validate",
        "follow",
        "newline_sequence",
        "output_encoding",
        "trim_blocks",
        "lstrip_blocks",
        "variables",
        "state",
        "attributes",
        "attr",
    }
)


def normalize_template(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("template", args, _TEMPLATE_KEYS)
    _no_attributes("template", args)
    if args.get("state") is not None:
        raise ArgumentError("'state' cannot be specified on a template")
    if args.get("src") is None or args.get("dest") is None:
        raise ArgumentError("src and dest are required")
    for key, default in _TEMPLATE_MARKERS.items():
        if args.get(key) not in (None, default):
            raise ArgumentError(
                f"{key} {args[key]!r} is not supported: templates use Jinja2's default markers"
            )
    newline = args.get("newline_sequence", "\n")
    if not isinstance(newline, str) or newline not in _NEWLINES:
        raise ArgumentError("newline_sequence needs to be one of: \\n, \\r or \\r\\n")
    encoding = args.get("output_encoding") or "utf-8"
    if not isinstance(encoding, str) or encoding.lower().replace("-", "_") not in {
        n.replace("-", "_") for n in _UTF8_NAMES
    }:
        raise ArgumentError(
            f"output_encoding {encoding!r} is not supported: the runtime writes UTF-8 only"
        )
    lexer: dict[str, Any] = {}
    lexer_defaults: dict[str, bool] = {"trim_blocks": True, "lstrip_blocks": False}
    for name, fallback in lexer_defaults.items():
        value = as_bool(args, name, fallback)
        if not isinstance(value, bool):
            raise ArgumentError(
                f"{name} must be a fixed true or false: templates are parsed at build time"
            )
        lexer[name] = value
    variables = args.get("variables")
    if variables is not None and not isinstance(variables, dict) and not _templated(variables):
        raise ArgumentError("variables must be a mapping of names to values")
    out: dict[str, Any] = {"src": args["src"], "dest": _path(args, "dest")}
    out.update(_common(args, allow_preserve=True))
    out.update(_bools(args, ("backup", "force", "follow")))
    validate = optional_str(args, "validate")
    if validate:
        if not has_jinja(validate) and "%s" not in validate:
            raise ArgumentError(f"validate must contain %s: {validate}")
        out["validate"] = validate
    if variables is not None:
        out["variables"] = variables
    out["_lexer"] = {**lexer, "newline_sequence": _NEWLINES[newline]}
    return out


def _template_facts(path: Path, src: str) -> dict[str, Any]:
    """What Ansible's ``generate_ansible_template_vars`` knows about the source file."""
    st = path.stat()
    try:
        uid: Any = pwd.getpwuid(st.st_uid).pw_name
    except KeyError:
        uid = st.st_uid
    return {
        "path": src,
        "fullpath": str(path),
        "host": os.uname()[1],
        "uid": uid,
        "mtime": str(datetime.datetime.fromtimestamp(st.st_mtime)),
        "mode": f"{stat.S_IMODE(st.st_mode):04o}",
    }


def embed_template(args: dict[str, Any], sources: Any) -> dict[str, Any]:
    """Lowers the template and records its source facts (``_template``, ``_template_src``)."""
    out = dict(args)
    lexer = out.pop("_lexer", {"trim_blocks": True, "lstrip_blocks": False})
    src = out["src"]
    path = sources.locate(src, "templates")
    out["_template"] = sources.template(src, lexer, path)
    out["_template_src"] = _template_facts(path, src)
    return out
