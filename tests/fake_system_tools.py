"""Fake package and service managers for tests/test_package_service.py.

Each fake is a small POSIX shell script that appends its command line to ``$FAKE_LOG``
and keeps its state in files under ``$FAKE_STATE``:

- ``pkg/NAME``: an installed package (content: its version);
- ``avail/NAME``: a package the repositories offer (content: its version);
- ``provides/NAME``: providers of a virtual package (apt), one per line;
- ``manual/NAME``: a package apt-mark knows as manually installed;
- ``svc/NAME.exists`` / ``.active`` / ``.enabled`` / ``.loaded``: a service unit,
  running, enabled at boot, loaded into launchd.

Init scripts and rc links live under ``$RUSTLE_TARGET_ROOT`` (the runtime looks for
them there). Nothing here touches the real system.
"""

# The shell scripts below keep their natural line lengths.
# ruff: noqa: E501

from __future__ import annotations

import os
from pathlib import Path

# Newlines inside arguments are logged as "|" so that one command is one line.
_LOG = 'printf \'%s %s\\n\' "$(basename "$0")" "$(printf \'%s\' "$*" | tr \'\\n\' \'|\')" >> "$FAKE_LOG"\nS="$FAKE_STATE"\n'

FAKES: dict[str, str] = {
    # --- apt --------------------------------------------------------------------------
    "dpkg-query": _LOG
    + r"""
for last; do :; done
if [ -f "$S/pkg/$last" ]; then
  printf 'install ok installed\t%s\n' "$(cat "$S/pkg/$last")"
else
  echo "dpkg-query: no packages found matching $last" >&2
  exit 1
fi
""",
    "apt-cache": _LOG
    + r"""
for last; do :; done
case " $* " in
*" policy "*)
  inst=""; cand=""
  [ -f "$S/pkg/$last" ] && inst=$(cat "$S/pkg/$last")
  [ -f "$S/avail/$last" ] && cand=$(cat "$S/avail/$last")
  if [ -z "$inst$cand" ]; then
    [ -f "$S/provides/$last" ] && \
      printf '%s:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n' "$last"
    exit 0
  fi
  [ -n "$cand" ] || cand=$inst
  printf '%s:\n  Installed: %s\n  Candidate: %s\n  Version table:\n' \
    "$last" "${inst:-(none)}" "$cand"
  if [ "$inst" = "$cand" ]; then
    printf ' *** %s 500\n        500 http://example/debian stable/main amd64 Packages\n' "$cand"
  else
    printf '     %s 500\n        500 http://example/debian stable/main amd64 Packages\n' "$cand"
    [ -n "$inst" ] && printf ' *** %s 100\n        100 /var/lib/dpkg/status\n' "$inst"
  fi
  ;;
*" showpkg "*)
  printf 'Package: %s\nReverse Provides: \n' "$last"
  [ -f "$S/provides/$last" ] && cat "$S/provides/$last"
  ;;
esac
exit 0
""",
    "apt-get": _LOG
    + r"""
[ "$DEBIAN_FRONTEND" = noninteractive ] || { echo "DEBIAN_FRONTEND not set" >&2; exit 9; }
mode=""; skip=""
for a; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$a" in
    install|remove|update) mode=$a; continue ;;
    -o|-t) skip=1; continue ;;
    -*) continue ;;
  esac
  [ -n "$mode" ] || continue
  name=${a%%=*}
  case $mode in
    install)
      if [ ! -f "$S/avail/$name" ] && [ ! -f "$S/pkg/$name" ]; then
        echo "E: Unable to locate package $name" >&2; exit 100
      fi
      ver=$(cat "$S/avail/$name")
      case "$a" in *=*) ver=${a#*=} ;; esac
      echo "$ver" > "$S/pkg/$name"
      echo "Setting up $name ($ver) ..." ;;
    remove)
      rm -f "$S/pkg/$name"; echo "Removing $name ..." ;;
  esac
done
if [ "$mode" = update ]; then
  if [ -f "$S/update_fails" ]; then echo "E: Failed to fetch http://example/InRelease" >&2; exit 100; fi
  mkdir -p "$RUSTLE_TARGET_ROOT/var/lib/apt/lists"
  touch "$RUSTLE_TARGET_ROOT/var/lib/apt/lists"
  echo "Reading package lists..."
fi
""",
    "apt-mark": _LOG
    + r"""
cmd=$1; shift
case $cmd in
  showmanual) for n; do [ -f "$S/manual/$n" ] && echo "$n"; done ;;
  manual) for n; do touch "$S/manual/$n"; echo "$n set to manually installed."; done ;;
esac
exit 0
""",
    # --- rpm based --------------------------------------------------------------------
    "rpm": _LOG
    + r"""
for last; do :; done
if [ -f "$S/pkg/$last" ]; then
  echo "$last-$(cat "$S/pkg/$last").x86_64"
else
  echo "package $last is not installed"; exit 1
fi
""",
    "dnf": _LOG
    + r"""
verb=""; names=""
for a; do
  case "$a" in -*) continue ;; esac
  if [ -z "$verb" ]; then verb=$a; else names="$names $a"; fi
done
case $verb in
  makecache) echo "Metadata cache created." ;;
  check-update)
    rc=0
    for n in $names; do
      if [ -f "$S/avail/$n" ] && [ "$(cat "$S/avail/$n")" != "$(cat "$S/pkg/$n" 2>/dev/null)" ]; then
        echo "$n.x86_64  $(cat "$S/avail/$n")  updates"; rc=100
      fi
    done
    exit $rc ;;
  list)
    for n in $names; do
      [ "$n" = available ] && continue
      [ -f "$S/avail/$n" ] || { echo "Error: No matching Packages to list" >&2; exit 1; }
    done ;;
  install|upgrade|update)
    for n in $names; do
      [ -f "$S/avail/$n" ] || {
        echo "No match for argument: $n" >&2; echo "Error: Unable to find a match: $n" >&2; exit 1; }
    done
    for n in $names; do cp "$S/avail/$n" "$S/pkg/$n"; done
    echo "Complete!" ;;
  remove)
    for n in $names; do rm -f "$S/pkg/$n"; done
    echo "Complete!" ;;
esac
""",
    # --- apk --------------------------------------------------------------------------
    "apk": _LOG
    + r"""
cmd=$1; shift
case $cmd in
  info)
    for n; do case "$n" in -*) continue ;; esac
      [ -f "$S/pkg/$n" ] && { echo "$n"; exit 0; }; exit 1; done ;;
  version)
    n=$1
    [ -f "$S/pkg/$n" ] || exit 0
    echo "Installed:                                Available:"
    if [ -f "$S/avail/$n" ] && [ "$(cat "$S/avail/$n")" != "$(cat "$S/pkg/$n")" ]; then
      echo "$n-$(cat "$S/pkg/$n")                    < $(cat "$S/avail/$n")"
    else
      echo "$n-$(cat "$S/pkg/$n")                    = $(cat "$S/pkg/$n")"
    fi ;;
  search)
    for n; do case "$n" in -*) continue ;; esac
      [ -f "$S/avail/$n" ] && echo "$n-$(cat "$S/avail/$n")"; done ;;
  add)
    for n; do case "$n" in -*) continue ;; esac
      [ -f "$S/avail/$n" ] || { echo "ERROR: unable to select packages:" >&2
        echo "  $n (no such package):" >&2; exit 1; }; done
    i=0
    for n; do case "$n" in -*) continue ;; esac
      i=$((i+1)); cp "$S/avail/$n" "$S/pkg/$n"
      echo "($i/$i) Installing $n ($(cat "$S/avail/$n"))"; done
    echo "OK: 5 MiB in 10 packages" ;;
  del)
    for n; do case "$n" in -*) continue ;; esac
      rm -f "$S/pkg/$n"; echo "(1/1) Purging $n"; done ;;
  update) echo "OK: 100 distinct packages available" ;;
esac
""",
    # --- pacman -----------------------------------------------------------------------
    "pacman": _LOG
    + r"""
case "$1 $2" in
  "--query --upgrades")
    n=$3
    if [ -f "$S/pkg/$n" ] && [ -f "$S/avail/$n" ] && [ "$(cat "$S/avail/$n")" != "$(cat "$S/pkg/$n")" ]; then
      echo "$n $(cat "$S/pkg/$n") -> $(cat "$S/avail/$n")"; exit 0
    fi
    exit 1 ;;
  "--sync --print-format")
    n=$4
    [ -f "$S/avail/$n" ] && { echo "$n $(cat "$S/avail/$n")"; exit 0; }
    echo "error: target not found: $n" >&2; exit 1 ;;
  "--sync --list")
    for f in "$S"/avail/*; do [ -e "$f" ] && echo "core $(basename "$f") $(cat "$f")"; done
    exit 0 ;;
  "--sync --refresh") echo ":: Synchronizing package databases..."; exit 0 ;;
esac
case "$1" in
  --query)
    n=$2
    [ -f "$S/pkg/$n" ] && { echo "$n $(cat "$S/pkg/$n")"; exit 0; }
    echo "error: package '$n' was not found" >&2; exit 1 ;;
  --remove)
    for n; do case "$n" in -*) continue ;; esac; rm -f "$S/pkg/$n"; done
    echo "removing packages..." ;;
  *)
    for n; do case "$n" in -*) continue ;; esac; cp "$S/avail/$n" "$S/pkg/$n"; done
    echo "installing packages..." ;;
esac
""",
    # --- zypper -----------------------------------------------------------------------
    "zypper": _LOG
    + r"""
verb=""; names=""; skip=""
for a; do
  if [ -n "$skip" ]; then skip=""; continue; fi
  case "$a" in --type) skip=1; continue ;; -*) continue ;; esac
  if [ -z "$verb" ]; then verb=$a; else names="$names $a"; fi
done
case $verb in
  refresh) echo "All repositories have been refreshed." ;;
  list-updates)
    echo "S | Repository | Name | Current Version | Available Version | Arch"
    echo "--+------------+------+-----------------+-------------------+-------"
    for f in "$S"/pkg/*; do
      [ -e "$f" ] || continue; n=$(basename "$f")
      if [ -f "$S/avail/$n" ] && [ "$(cat "$S/avail/$n")" != "$(cat "$f")" ]; then
        echo "v | Main | $n | $(cat "$f") | $(cat "$S/avail/$n") | x86_64"
      fi
    done ;;
  search)
    for n in $names; do [ -f "$S/avail/$n" ] || { echo "No matching items found."; exit 104; }; done ;;
  install)
    for n in $names; do
      [ -f "$S/avail/$n" ] || { echo "No provider of '$n' found." >&2; exit 104; }
    done
    for n in $names; do cp "$S/avail/$n" "$S/pkg/$n"; done ;;
  remove) for n in $names; do rm -f "$S/pkg/$n"; done ;;
esac
""",
    # --- homebrew ---------------------------------------------------------------------
    "brew": _LOG
    + r"""
for last; do :; done
outdated() { [ -f "$S/pkg/$1" ] && [ -f "$S/avail/$1" ] && [ "$(cat "$S/avail/$1")" != "$(cat "$S/pkg/$1")" ]; }
case $1 in
  info)
    n=$last
    if [ ! -f "$S/avail/$n" ] && [ ! -f "$S/pkg/$n" ]; then
      echo "Error: No available formula or cask with the name \"$n\"." >&2; exit 1
    fi
    inst="[]"; [ -f "$S/pkg/$n" ] && inst="[{\"version\":\"$(cat "$S/pkg/$n")\"}]"
    old=false; outdated "$n" && old=true
    printf '{"formulae":[{"name":"%s","full_name":"%s","installed":%s,"outdated":%s}],"casks":[]}\n' \
      "$n" "$n" "$inst" "$old" ;;
  outdated) outdated "$last" && { echo "$last"; exit 1; }; exit 0 ;;
  install|upgrade)
    [ -f "$S/avail/$last" ] || { echo "Error: No available formula with the name \"$last\"." >&2; exit 1; }
    cp "$S/avail/$last" "$S/pkg/$last"; echo "==> Pouring $last" ;;
  uninstall) rm -f "$S/pkg/$last"; echo "Uninstalling $last" ;;
  update) echo "Already up-to-date." ;;
esac
""",
    # --- systemd ----------------------------------------------------------------------
    "systemctl": _LOG
    + r"""
verb=""; unit=""
for a; do
  case "$a" in -*) continue ;; esac
  if [ -z "$verb" ]; then verb=$a; else unit=$a; fi
done
u=${unit%.service}; d="$S/svc"
known() { [ -f "$d/$u.exists" ]; }
case $verb in
  "") echo "UNIT LOAD ACTIVE SUB DESCRIPTION" ;;
  daemon-reload|daemon-reexec) : ;;
  show)
    if known; then
      a=inactive; [ -f "$d/$u.active" ] && a=active
      e=disabled; [ -f "$d/$u.enabled" ] && e=enabled
      printf 'Id=%s.service\nNames=%s.service\nDescription=%s daemon\nLoadState=loaded\n' "$u" "$u" "$u"
      printf 'ActiveState=%s\nSubState=running\nUnitFileState=%s\n' "$a" "$e"
      printf 'ExecStart={ path=/usr/sbin/%s ; argv[]=/usr/sbin/%s -f ; ignore_errors=no }\n' "$u" "$u"
    else
      printf 'Id=%s.service\nNames=%s.service\nLoadState=not-found\nActiveState=inactive\n' "$u" "$u"
    fi ;;
  is-enabled)
    known || { echo "Failed to get unit file state for $u.service: No such file or directory" >&2; exit 1; }
    if [ -f "$d/$u.enabled" ]; then echo enabled; else echo disabled; exit 1; fi ;;
  list-unit-files) known || exit 1; echo "$u.service disabled" ;;
  start|restart|reload)
    known || { echo "Failed to $verb $u.service: Unit $u.service not found." >&2; exit 5; }
    touch "$d/$u.active" ;;
  stop) rm -f "$d/$u.active" ;;
  enable) touch "$d/$u.enabled"; echo "Created symlink /etc/systemd/system/multi-user.target.wants/$u.service." ;;
  disable) rm -f "$d/$u.enabled"; echo "Removed /etc/systemd/system/multi-user.target.wants/$u.service." ;;
esac
""",
    # --- SysV -------------------------------------------------------------------------
    "service": _LOG
    + r"""
script="$RUSTLE_TARGET_ROOT/etc/init.d/$1"
[ -x "$script" ] || { echo "$1: unrecognized service" >&2; exit 1; }
n=$1; shift
exec "$script" "$@"
""",
    "update-rc.d": _LOG
    + r"""
n=$1; r="$RUSTLE_TARGET_ROOT/etc"
mkdir -p "$r/rc0.d" "$r/rc2.d"
case $2 in
  defaults) ln -sf "../init.d/$n" "$r/rc0.d/K01$n"; ln -sf "../init.d/$n" "$r/rc2.d/S01$n" ;;
  enable) rm -f "$r/rc2.d/K01$n"; ln -sf "../init.d/$n" "$r/rc2.d/S01$n" ;;
  disable) rm -f "$r/rc2.d/S01$n"; ln -sf "../init.d/$n" "$r/rc2.d/K01$n" ;;
esac
""",
    # --- OpenRC -----------------------------------------------------------------------
    "rc-service": _LOG
    + r"""
d="$S/svc"
case $1 in --exists|-e) [ -f "$d/$2.exists" ]; exit $? ;; esac
n=$1
case $2 in
  status)
    if [ -f "$d/$n.active" ]; then echo " * status: started"; else echo " * status: stopped"; exit 3; fi ;;
  start|restart) touch "$d/$n.active"; echo " * Starting $n ...  [ ok ]" ;;
  stop) rm -f "$d/$n.active"; echo " * Stopping $n ...  [ ok ]" ;;
  zap) : ;;
esac
""",
    "rc-update": _LOG
    + r"""
d="$S/svc"
case $1 in
  show)
    for f in "$d"/*.exists; do
      [ -e "$f" ] || continue; n=$(basename "$f" .exists); lv=""
      [ -f "$d/$n.enabled" ] && lv="default"
      printf '%20s | %s\n' "$n" "$lv"
    done ;;
  add) touch "$d/$2.enabled"; echo " * service $2 added to runlevel $3" ;;
  delete|del) rm -f "$d/$2.enabled"; echo " * service $2 removed from runlevel $3" ;;
esac
""",
    # --- launchd ----------------------------------------------------------------------
    "launchctl": _LOG
    + r"""
d="$S/svc"
case $1 in
  list)
    printf 'PID\tStatus\tLabel\n'
    for f in "$d"/*.loaded; do
      [ -e "$f" ] || continue; n=$(basename "$f" .loaded)
      if [ -f "$d/$n.active" ]; then printf '4242\t0\t%s\n' "$n"; else printf -- '-\t0\t%s\n' "$n"; fi
    done ;;
  load) touch "$d/$(basename "$2" .plist).loaded" ;;
  unload) n=$(basename "$2" .plist); rm -f "$d/$n.loaded" "$d/$n.active" ;;
  start) touch "$d/$2.active" ;;
  stop) rm -f "$d/$2.active" ;;
esac
""",
    "plutil": _LOG
    + r"""
for last; do :; done
case $1 in
  -extract)
    grep -q '^RunAtLoad=' "$last" || { echo "No value at that key path" >&2; exit 1; }
    sed -n 's/^RunAtLoad=//p' "$last" ;;
  -replace)
    v=false; [ "$4" = YES ] && v=true
    grep -v '^RunAtLoad=' "$last" > "$last.new"; echo "RunAtLoad=$v" >> "$last.new"
    mv "$last.new" "$last" ;;
esac
""",
}

# yum is dnf's twin here.
FAKES["yum"] = FAKES["dnf"]

INIT_SCRIPT = r"""#!/bin/sh
echo "init.d/NAME $*" >> "$FAKE_LOG"
d="$FAKE_STATE/svc"
case $1 in
  status)
    if [ -f "$d/NAME.active" ]; then echo "NAME is running"; else echo "NAME is not running"; exit 3; fi ;;
  start|restart|reload) touch "$d/NAME.active"; echo "Starting NAME." ;;
  stop) rm -f "$d/NAME.active"; echo "Stopping NAME." ;;
esac
"""


def install_fakes(bin_dir: Path, names: list[str] | None = None) -> None:
    """Write the fakes (all, or ``names``) into ``bin_dir`` as executables."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, body in FAKES.items():
        if names is not None and name not in names:
            continue
        path = bin_dir / name
        path.write_text("#!/bin/sh\n" + body, "utf-8")
        os.chmod(path, 0o755)


def install_init_script(root: Path, name: str) -> Path:
    """An init script ``NAME`` under ``root/etc/init.d`` that keeps its state in svc/."""
    path = root / "etc" / "init.d" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(INIT_SCRIPT.replace("NAME", name), "utf-8")
    os.chmod(path, 0o755)
    return path
