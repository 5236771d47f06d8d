"""Normalizers of the package and service module families.

``package`` (apt, dnf, yum, apk, pacman, zypper, homebrew) and ``service`` (systemd,
sysvinit, launchd; OpenRC and SysV through ``service``). Each one folds Ansible's
aliases (``pkg`` for ``name``, ``installed`` for ``present``, ``update-cache`` for
``update_cache``, ...), checks choices and booleans, and refuses what the runtime
cannot do with a message that says so, before anything is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .lowering import has_jinja
from .modules import ArgumentError, as_bool, as_int, optional_str, reject_unknown

PACKAGE_MANAGERS = ("apt", "dnf", "dnf5", "yum", "apk", "pacman", "zypper", "homebrew", "brew")
SERVICE_MANAGERS = ("auto", "service", "systemd", "sysvinit", "openrc", "launchd")


def _templated(value: Any) -> bool:
    return isinstance(value, str) and has_jinja(value)


def _fold_aliases(
    module: str, args: Mapping[str, Any], aliases: Mapping[str, str]
) -> dict[str, Any]:
    """``args`` with alias keys renamed to their option; both given is an error."""
    folded: dict[str, Any] = {}
    for key, value in args.items():
        target = aliases.get(key, key)
        if target in folded:
            raise ArgumentError(
                f"({module}) got '{target}' more than once (an option and its alias)"
            )
        folded[target] = value
    return folded


def _refuse(module: str, args: Mapping[str, Any], unsupported: Mapping[str, str]) -> None:
    """Options Ansible has that this runtime does not implement."""
    for key, why in unsupported.items():
        if key in args:
            raise ArgumentError(
                f"({module}) option '{key}' is not supported by this runtime: {why}"
            )


def _names(module: str, args: Mapping[str, Any]) -> list[str] | str:
    """Ansible's ``list`` of package names: a list, or a comma-separated string."""
    value = args.get("name")
    if value is None:
        return []
    if _templated(value):
        return str(value)
    if isinstance(value, str):
        items: list[Any] = value.split(",")
    elif isinstance(value, list):
        items = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        items = [value]
    else:
        raise ArgumentError(f"({module}) 'name' must be a package name or a list of them")
    names: list[str] = []
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (str, int, float)):
            raise ArgumentError(f"({module}) package names must be strings, got {item!r}")
        text = str(item).strip()
        if not text:
            continue
        if not _templated(text) and (text.startswith("-") or any(c.isspace() for c in text)):
            raise ArgumentError(f"({module}) invalid package name {text!r}")
        names.append(text)
    return names


def _choice(
    module: str,
    args: Mapping[str, Any],
    key: str,
    choices: tuple[str, ...],
    default: str | None,
    fold: Mapping[str, str] | None = None,
    unsupported: tuple[str, ...] = (),
) -> str | None:
    value = args.get(key, default)
    if value is None or _templated(value):
        return value
    text = str(value)
    if text in unsupported:
        raise ArgumentError(f"({module}) {key}={text} is not supported by this runtime")
    if text not in choices:
        raise ArgumentError(f"value of {key} must be one of: {', '.join(choices)}, got: {text}")
    return (fold or {}).get(text, text)


def _opt_bool(args: Mapping[str, Any], key: str) -> bool | str | None:
    if args.get(key) is None:
        return None
    return as_bool(args, key, False)


def _opt_int(args: Mapping[str, Any], key: str) -> int | str | None:
    if args.get(key) is None:
        return None
    return as_int(args, key, 0)


def _str_list(module: str, args: Mapping[str, Any], key: str) -> list[str] | str:
    value = args.get(key)
    if value is None:
        return []
    if isinstance(value, str):
        return value if _templated(value) else [v.strip() for v in value.split(",") if v.strip()]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return [str(v) for v in value]
    raise ArgumentError(f"({module}) '{key}' must be a string or a list of strings")


def _need_names_or_cache(module: str, names: list[str] | str, update_cache: Any) -> None:
    if names == [] and update_cache is False:
        raise ArgumentError(f"({module}) one of the following is required: name, update_cache")


# --- package ---------------------------------------------------------------------


def _package_request(
    module: str, args: Mapping[str, Any], states: tuple[str, ...], **choice: Any
) -> dict[str, Any]:
    """``name``, ``state`` and ``update_cache``, as every package manager module takes them."""
    names = _names(module, args)
    state = _choice(module, args, "state", states, "present", **choice)
    update_cache = as_bool(args, "update_cache", False)
    _need_names_or_cache(module, names, update_cache)
    return {"name": names, "state": state, "update_cache": update_cache}


def normalize_package(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("package", args, {"name", "state", "use", "update_cache"})
    use = args.get("use", "auto")
    if not _templated(use) and use != "auto" and use not in PACKAGE_MANAGERS:
        raise ArgumentError(f'Could not find a matching action for the "{use}" package manager.')
    names = _names("package", args)
    if names == []:
        raise ArgumentError("missing required arguments: name")
    state = _choice(
        "package",
        args,
        "state",
        ("present", "installed", "latest", "absent", "removed"),
        "present",
        fold={"installed": "present", "removed": "absent"},
    )
    out: dict[str, Any] = {"name": names, "state": state, "use": use}
    if "update_cache" in args:
        out["update_cache"] = as_bool(args, "update_cache", False)
    return out


_APT_ALIASES = {
    "pkg": "name",
    "package": "name",
    "update-cache": "update_cache",
    "default-release": "default_release",
    "install-recommends": "install_recommends",
    "allow-unauthenticated": "allow_unauthenticated",
    "allow-downgrade": "allow_downgrade",
    "allow_downgrades": "allow_downgrade",
    "allow-downgrades": "allow_downgrade",
}
_APT_BOOLS = (
    "purge",
    "force",
    "autoremove",
    "fail_on_autoremove",
    "only_upgrade",
    "force_apt_get",
    "allow_unauthenticated",
    "allow_downgrade",
    "allow_change_held_packages",
)


def normalize_apt(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases("apt", args, _APT_ALIASES)
    if args.get("upgrade") in ("no", False):
        args = {k: v for k, v in args.items() if k != "upgrade"}
    _refuse(
        "apt",
        args,
        {
            "deb": "install .deb files with a command task",
            "upgrade": "use state=latest with the package names",
            "autoclean": "run 'apt-get autoclean' with a command task",
            "clean": "run 'apt-get clean' with a command task",
            "policy_rc_d": "services are started as the packages' scripts decide",
        },
    )
    reject_unknown(
        "apt",
        args,
        {
            "name",
            "state",
            "update_cache",
            "update_cache_retries",
            "update_cache_retry_max_delay",
            "cache_valid_time",
            "default_release",
            "install_recommends",
            "dpkg_options",
            "lock_timeout",
            *_APT_BOOLS,
        },
    )
    names = _names("apt", args)
    for spec in names if isinstance(names, list) else []:
        if _templated(spec):
            continue
        if spec.count("=") > 1:
            raise ArgumentError(f"invalid package spec: {spec}")
        if ">=" in spec:
            raise ArgumentError(
                f"(apt) version comparisons such as {spec!r} are not supported by this runtime; "
                "pin an exact version ('name=1.2.3', '*' allowed in the version) or drop it"
            )
        if any(c in spec.split("=", 1)[0] for c in "*?[]!"):
            raise ArgumentError(
                f"(apt) package name patterns such as {spec!r} are not supported by this "
                "runtime; list the packages by name"
            )
    state = _choice(
        "apt",
        args,
        "state",
        ("absent", "build-dep", "fixed", "latest", "present"),
        "present",
        unsupported=("build-dep", "fixed"),
    )
    update_cache = as_bool(args, "update_cache", False)
    cache_valid_time = as_int(args, "cache_valid_time", 0)
    if names == [] and update_cache is False and cache_valid_time == 0:
        raise ArgumentError("(apt) one of the following is required: name, update_cache")
    out: dict[str, Any] = {
        "name": names,
        "state": state,
        "update_cache": update_cache,
        "cache_valid_time": cache_valid_time,
        "update_cache_retries": as_int(args, "update_cache_retries", 5),
        "update_cache_retry_max_delay": as_int(args, "update_cache_retry_max_delay", 12),
        "default_release": optional_str(args, "default_release"),
        "install_recommends": _opt_bool(args, "install_recommends"),
        "dpkg_options": optional_str(args, "dpkg_options"),
        "lock_timeout": _opt_int(args, "lock_timeout"),
    }
    for key in _APT_BOOLS:
        out[key] = as_bool(args, key, False)
    return out


def _normalize_dnf(module: str, args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases(module, args, {"pkg": "name", "expire-cache": "update_cache"})
    reject_unknown(
        module,
        args,
        {
            "name",
            "state",
            "update_cache",
            "disable_gpg_check",
            "enablerepo",
            "disablerepo",
            "exclude",
            "install_weak_deps",
            "autoremove",
            "lock_timeout",
        },
    )
    return {
        **_package_request(module, args, ("absent", "installed", "latest", "present", "removed")),
        "disable_gpg_check": as_bool(args, "disable_gpg_check", False),
        "enablerepo": _str_list(module, args, "enablerepo"),
        "disablerepo": _str_list(module, args, "disablerepo"),
        "exclude": _str_list(module, args, "exclude"),
        "install_weak_deps": as_bool(args, "install_weak_deps", True),
        "autoremove": as_bool(args, "autoremove", False),
    }


def normalize_dnf(args: Mapping[str, Any]) -> dict[str, Any]:
    return _normalize_dnf("dnf", args)


def normalize_yum(args: Mapping[str, Any]) -> dict[str, Any]:
    return _normalize_dnf("yum", args)


def normalize_apk(args: Mapping[str, Any]) -> dict[str, Any]:
    _refuse(
        "apk",
        args,
        {
            "upgrade": "upgrade named packages with state=latest",
            "available": "upgrade named packages with state=latest",
            "world": "installed state is read with 'apk info -e'",
        },
    )
    reject_unknown("apk", args, {"name", "state", "update_cache", "no_cache", "repository"})
    return {
        **_package_request("apk", args, ("present", "installed", "absent", "removed", "latest")),
        "no_cache": as_bool(args, "no_cache", False),
        "repository": _str_list("apk", args, "repository"),
    }


def normalize_pacman(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases("pacman", args, {"pkg": "name", "package": "name"})
    _refuse(
        "pacman",
        args,
        {
            "upgrade": "upgrade named packages with state=latest",
            "upgrade_extra_args": "upgrade named packages with state=latest",
            "update_cache_extra_args": "the cache is refreshed with 'pacman --sync --refresh'",
            "reason": "install reasons are left as pacman sets them",
            "reason_for": "install reasons are left as pacman sets them",
        },
    )
    reject_unknown(
        "pacman",
        args,
        {"name", "state", "update_cache", "force", "remove_nosave", "executable", "extra_args"},
    )
    return {
        **_package_request("pacman", args, ("present", "installed", "latest", "absent", "removed")),
        "force": as_bool(args, "force", False),
        "remove_nosave": as_bool(args, "remove_nosave", False),
        "executable": optional_str(args, "executable"),
        "extra_args": optional_str(args, "extra_args"),
    }


def normalize_zypper(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases("zypper", args, {"pkg": "name", "refresh": "update_cache"})
    if args.get("type", "package") != "package":
        raise ArgumentError("(zypper) only type=package is supported by this runtime")
    args = {k: v for k, v in args.items() if k != "type"}
    _refuse(
        "zypper",
        args,
        {
            "extra_args": "pass options through a command task",
            "extra_args_precommand": "pass options through a command task",
            "disable_gpg_check": "import the repository key instead",
            "allow_vendor_change": "only used by dist-upgrade",
        },
    )
    reject_unknown(
        "zypper",
        args,
        {
            "name",
            "state",
            "update_cache",
            "disable_recommends",
            "force",
            "force_resolution",
            "oldpackage",
            "replacefiles",
            "clean_deps",
            "simple_errors",
            "quiet",
        },
    )
    names = _names("zypper", args)
    if names == []:
        raise ArgumentError("missing required arguments: name")
    state = _choice(
        "zypper",
        args,
        "state",
        ("absent", "installed", "latest", "present", "removed"),
        "present",
        unsupported=("dist-upgrade",),
    )
    return {
        "name": names,
        "state": state,
        "update_cache": as_bool(args, "update_cache", False),
        "disable_recommends": as_bool(args, "disable_recommends", True),
        "force": as_bool(args, "force", False),
        "force_resolution": as_bool(args, "force_resolution", False),
        "oldpackage": as_bool(args, "oldpackage", False),
        "replacefiles": as_bool(args, "replacefiles", False),
        "clean_deps": as_bool(args, "clean_deps", False),
    }


def normalize_homebrew(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases(
        "homebrew",
        args,
        {
            "package": "name",
            "formula": "name",
            "update_homebrew": "update_cache",
            "update-brew": "update_cache",
            "options": "install_options",
        },
    )
    _refuse(
        "homebrew",
        args,
        {
            "upgrade_all": "upgrade named packages with state=latest",
            "upgrade_options": "upgrade named packages with state=latest",
            "force_formula": "name formulae exactly",
        },
    )
    reject_unknown("homebrew", args, {"name", "state", "update_cache", "path", "install_options"})
    return {
        **_package_request(
            "homebrew",
            args,
            ("absent", "installed", "latest", "present", "removed", "uninstalled", "upgraded"),
            unsupported=("head", "linked", "unlinked"),
        ),
        "path": optional_str(args, "path"),
        "install_options": _str_list("homebrew", args, "install_options"),
    }


# --- service ---------------------------------------------------------------------

_STATES = ("reloaded", "restarted", "started", "stopped")
_SYSTEMD_KEYS = {"daemon_reload", "daemon_reexec", "masked", "scope", "no_block", "force"}


def _service_common(
    module: str, args: Mapping[str, Any], states: tuple[str, ...] = _STATES
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": optional_str(args, "name"),
        "state": _choice(module, args, "state", states, None),
        "enabled": _opt_bool(args, "enabled"),
    }
    return out


def _systemd_options(module: str, args: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "daemon_reload": as_bool(args, "daemon_reload", False),
        "daemon_reexec": as_bool(args, "daemon_reexec", False),
        "masked": _opt_bool(args, "masked"),
        "scope": _choice(module, args, "scope", ("system", "user", "global"), "system"),
        "no_block": as_bool(args, "no_block", False),
        "force": _opt_bool(args, "force"),
    }


def normalize_service(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases(
        "service",
        args,
        {"args": "arguments", "daemon-reload": "daemon_reload", "daemon-reexec": "daemon_reexec"},
    )
    reject_unknown(
        "service",
        args,
        {"name", "state", "enabled", "use", "pattern", "sleep", "arguments", "runlevel"}
        | _SYSTEMD_KEYS,
    )
    use = args.get("use", "auto")
    if not _templated(use):
        use = str(use).lower()
    out = _service_common("service", args)
    if not out["name"]:
        raise ArgumentError("missing required arguments: name")
    if out["state"] is None and out["enabled"] is None and args.get("daemon_reload") is None:
        raise ArgumentError("one of the following is required: state, enabled")
    out.update(
        {
            "use": use,
            "pattern": optional_str(args, "pattern"),
            "sleep": _opt_int(args, "sleep"),
            "arguments": optional_str(args, "arguments"),
            "runlevel": optional_str(args, "runlevel"),
            **_systemd_options("service", args),
        }
    )
    return out


def normalize_systemd(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases(
        "systemd",
        args,
        {
            "service": "name",
            "unit": "name",
            "daemon-reload": "daemon_reload",
            "daemon-reexec": "daemon_reexec",
        },
    )
    reject_unknown("systemd", args, {"name", "state", "enabled"} | _SYSTEMD_KEYS)
    out = _service_common("systemd", args)
    out.update(_systemd_options("systemd", args))
    wanted = [k for k in ("state", "enabled", "masked") if out[k] is not None]
    if not wanted and out["daemon_reload"] is False and out["daemon_reexec"] is False:
        raise ArgumentError(
            "one of the following is required: state, enabled, masked, daemon_reload, daemon_reexec"
        )
    if wanted and not out["name"]:
        raise ArgumentError(f"missing parameter(s) required by '{wanted[0]}': name")
    name = out["name"]
    if name and not _templated(name):
        for pattern in ("*", "?", "["):
            if pattern in name:
                raise ArgumentError(
                    "This module does not currently support using glob patterns, found "
                    f"'{pattern}' in service name: {name}"
                )
    return out


def normalize_sysvinit(args: Mapping[str, Any]) -> dict[str, Any]:
    args = _fold_aliases("sysvinit", args, {"service": "name", "args": "arguments"})
    reject_unknown(
        "sysvinit",
        args,
        {"name", "state", "enabled", "sleep", "pattern", "arguments", "runlevels", "daemonize"},
    )
    out = _service_common("sysvinit", args)
    if not out["name"]:
        raise ArgumentError("missing required arguments: name")
    if out["state"] is None and out["enabled"] is None:
        raise ArgumentError("one of the following is required: state, enabled")
    out.update(
        {
            "sleep": as_int(args, "sleep", 1),
            "pattern": optional_str(args, "pattern"),
            "arguments": optional_str(args, "arguments"),
            "runlevels": _str_list("sysvinit", args, "runlevels"),
            "daemonize": as_bool(args, "daemonize", False),
        }
    )
    return out


def normalize_launchd(args: Mapping[str, Any]) -> dict[str, Any]:
    reject_unknown("launchd", args, {"name", "state", "enabled", "plist", "force_stop"})
    out = _service_common("launchd", args, (*_STATES, "unloaded"))
    if not out["name"]:
        raise ArgumentError("missing required arguments: name")
    if out["state"] is None and out["enabled"] is None:
        raise ArgumentError("one of the following is required: state, enabled")
    if args.get("force_stop") not in (None, False, "no", "false"):
        raise ArgumentError("(launchd) option 'force_stop' is not supported by this runtime")
    out["plist"] = optional_str(args, "plist")
    return out
