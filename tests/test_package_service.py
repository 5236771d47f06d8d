"""The package and service module families, end to end through one compiled plan.

Two kinds of targets:

- this machine's real dpkg/apt, only queried: installed packages are left alone, and
  every task that would change something runs in check mode (forced per task);
- fake managers (tests/fake_system_tools.py) first on PATH, whose logs show the exact
  command lines, whose state files show what changed, and whose second run proves
  idempotence.

Tasks are grouped by tag; each test runs the same binary with its tags.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from rustle_invoke import process

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import cli_json, task, write_plan  # noqa: E402
from fake_system_tools import install_fakes, install_init_script  # noqa: E402

FORCE_CHECK = [{"CheckMode": {"enabled": True}}]
APT_OPTS = "-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold"
DPKG_QUERY = "dpkg-query -W -f=${Status}\t${Version}|"
RPM_Q = "rpm -q --qf %{NAME}-%{VERSION}-%{RELEASE}.%{ARCH}\\n"


def _tasks() -> list[dict[str, Any]]:
    n = iter(range(1, 1000))

    def t(module: str, args: dict[str, Any], tag: str, **extra: Any) -> dict[str, Any]:
        i = next(n)
        return task(f"t_{i}", module, args, tags=[tag], name=f"{tag} {i} {module}", **extra)

    def show(var: str, tag: str) -> dict[str, Any]:
        return t("debug", {"msg": "{{ " + var + " | to_json }}"}, tag)

    ignore = {"ignore_errors": True}
    return [
        # apt, fake: install two packages with a cache update.
        t("apt", {"name": ["htop", "curl"], "update_cache": True}, "apt", register="a1"),
        show("a1", "apt"),
        # apt, fake: latest, absent, a version pin, a virtual package.
        t("apt", {"name": "htop", "state": "latest"}, "apt_more", register="a2"),
        t("apt", {"name": "curl", "state": "absent"}, "apt_more"),
        t("apt", {"name": "htop=3.*"}, "apt_more"),
        t("apt", {"pkg": "awk"}, "apt_more"),
        # apt, fake: clear failures.
        t("apt", {"name": "nosuch"}, "apt_err", **ignore),
        t("apt", {"name": "htop=9.9"}, "apt_err", **ignore),
        t("apt", {"update_cache": True, "update_cache_retries": 1}, "apt_err", **ignore),
        # package with an explicit manager, and dnf / yum.
        t("package", {"name": "htop", "use": "dnf"}, "pkg_dnf", register="d1"),
        show("d1", "pkg_dnf"),
        t("dnf", {"name": "htop", "state": "latest"}, "dnf"),
        t("dnf", {"name": ["vim"], "state": "absent"}, "dnf"),
        t("dnf", {"name": "nosuch"}, "dnf", register="d2", **ignore),
        show("d2", "dnf"),
        t("yum", {"name": "curl"}, "dnf"),
        # apk, pacman, zypper, homebrew.
        t("apk", {"name": ["htop", "curl"], "update_cache": True}, "apk", register="k1"),
        show("k1", "apk"),
        t("apk", {"name": "vim", "state": "absent"}, "apk"),
        t("pacman", {"name": "htop"}, "pacman", register="p1"),
        show("p1", "pacman"),
        t("pacman", {"name": "vim", "state": "latest"}, "pacman"),
        t("zypper", {"name": "htop"}, "zypper", register="z1"),
        show("z1", "zypper"),
        t("zypper", {"name": "vim", "state": "absent"}, "zypper"),
        t("homebrew", {"name": ["htop", "wget"]}, "brew", register="b1"),
        show("b1", "brew"),
        # A manager that is not installed.
        t("apk", {"name": "htop"}, "nomgr", **ignore),
        # This machine's real dpkg/apt (queries only).
        t("package", {"name": "coreutils"}, "real", register="r1"),
        show("r1", "real"),
        t("package", {"name": "cowsay"}, "real_check", conditions=FORCE_CHECK),
        t(
            "apt",
            {"name": "rustle-no-such-package-xyz"},
            "real_check",
            conditions=FORCE_CHECK,
            **ignore,
        ),
        t("apt", {"name": "bash", "state": "latest"}, "real_check", conditions=FORCE_CHECK),
        t("apt", {"name": "coreutils", "state": "absent"}, "real_check", conditions=FORCE_CHECK),
        t("apt", {"name": "cowsay", "state": "absent"}, "real_check", conditions=FORCE_CHECK),
        t(
            "service",
            {"name": "rustle-no-such-service", "state": "started"},
            "real_check",
            conditions=FORCE_CHECK,
            **ignore,
        ),
        # systemd, fake systemctl.
        t(
            "systemd",
            {"name": "cron", "state": "started", "enabled": True, "daemon_reload": True},
            "systemd",
            register="s1",
        ),
        show("s1", "systemd"),
        t("service", {"name": "cron", "state": "restarted", "use": "systemd"}, "systemd"),
        t("systemd", {"name": "nosuch", "state": "started"}, "systemd", **ignore),
        # SysV through the generic service module, and the sysvinit module.
        t(
            "service",
            {"name": "web", "state": "started", "enabled": True, "use": "service"},
            "sysv",
            register="v1",
        ),
        show("v1", "sysv"),
        t("service", {"name": "ghost", "state": "started", "use": "service"}, "sysv", **ignore),
        t(
            "sysvinit",
            {"name": "db", "state": "started", "enabled": True},
            "sysvinit",
            register="i1",
        ),
        show("i1", "sysvinit"),
        # OpenRC.
        t(
            "service",
            {"name": "nginx", "state": "started", "enabled": True, "use": "openrc"},
            "openrc",
        ),
        t("service", {"name": "ghost", "state": "stopped", "use": "openrc"}, "openrc", **ignore),
        # launchd.
        t(
            "launchd",
            {"name": "com.example.agent", "state": "started", "enabled": True},
            "launchd",
            register="l1",
        ),
        show("l1", "launchd"),
    ]


@pytest.fixture(scope="module")
def binary(tmp_path_factory: pytest.TempPathFactory) -> str:
    plan = write_plan(tmp_path_factory.mktemp("pkgsvc") / "plan.json", _tasks())
    built = cli_json("compile", "--plan", str(plan), "--profile", "debug")
    return str(built["binaries"][0]["binary_path"])


class Target:
    """A fake machine: fake tools first on PATH, their state, a target root."""

    def __init__(self, base: Path, fakes: list[str] | None = None) -> None:
        self.bin = base / "bin"
        self.state = base / "state"
        self.root = base / "root"
        self.home = base / "home"
        self.log_file = base / "log"
        install_fakes(self.bin, fakes)
        for sub in ("pkg", "avail", "provides", "manual", "svc"):
            (self.state / sub).mkdir(parents=True)
        (self.root / "etc" / "rc0.d").mkdir(parents=True)
        (self.root / "etc" / "rc2.d").mkdir(parents=True)
        self.home.mkdir()
        self.log_file.write_text("")

    def packages(self, kind: str, **versions: str) -> None:
        for name, version in versions.items():
            (self.state / kind / name).write_text(version + "\n")

    def installed(self) -> dict[str, str]:
        return {p.name: p.read_text().strip() for p in (self.state / "pkg").iterdir()}

    def touch(self, *names: str) -> None:
        for name in names:
            (self.state / "svc" / name).touch()

    def has(self, name: str) -> bool:
        return (self.state / "svc" / name).exists()

    def log(self) -> list[str]:
        lines = self.log_file.read_text().splitlines()
        self.log_file.write_text("")
        return lines

    def run(
        self, binary: str, tags: str, *, check: bool = False, prefix: tuple[str, ...] = ()
    ) -> dict[str, Any]:
        env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKE_STATE": str(self.state),
            "FAKE_LOG": str(self.log_file),
            "RUSTLE_TARGET_ROOT": str(self.root),
            "HOME": str(self.home),
            "LANG": "C",
        }
        argv = [
            *prefix,
            binary,
            "--format",
            "json",
            "--tags",
            tags,
            *(["--check"] if check else []),
        ]
        result = process.run(argv, env=env, timeout=120)
        assert result.returncode in (0, 2), result.stderr
        return json.loads(result.stdout)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["task_id"]: t for t in report["tasks"]}


def tasks_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in report["tasks"] if t["module"] != "debug"]


def shown(report: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """The registered result printed by the tag's `index`th debug task."""
    debug = [t for t in report["tasks"] if t["module"] == "debug"][index]
    return json.loads(debug["msg"])


def statuses(report: dict[str, Any]) -> list[str]:
    return [t["status"] for t in tasks_of(report)]


# --- apt (fake) ------------------------------------------------------------------------


def test_apt_installs_with_cache_update_then_changes_nothing(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1", curl="8.0-1")
    lists = target.root / "var" / "lib" / "apt" / "lists"
    lists.mkdir(parents=True)
    os.utime(lists, (1_000_000_000, 1_000_000_000))

    first = target.run(binary, "apt")
    assert statuses(first) == ["changed"]
    assert target.log() == [
        "apt-get update -q",
        f"{DPKG_QUERY} htop",
        "apt-cache policy htop",
        f"{DPKG_QUERY} curl",
        "apt-cache policy curl",
        f"apt-get -y {APT_OPTS} install htop=3.2-1 curl=8.0-1",
        "apt-mark showmanual htop curl",
        "apt-mark manual htop curl",
    ]
    assert target.installed() == {"htop": "3.2-1", "curl": "8.0-1"}
    result = shown(first)
    assert result["changed"] is True
    assert result["cache_updated"] is True
    assert result["cache_update_time"] == int(lists.stat().st_mtime) > 1_000_000_000
    assert "Setting up htop (3.2-1)" in result["stdout"]

    second = target.run(binary, "apt")
    assert statuses(second) == ["ok"]
    assert second["recap"]["changed"] == 0
    assert target.log() == [
        "apt-get update -q",
        f"{DPKG_QUERY} htop",
        f"{DPKG_QUERY} curl",
        "apt-mark showmanual htop curl",
    ]


def test_apt_check_mode_queries_only(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1", curl="8.0-1")
    report = target.run(binary, "apt", check=True)
    assert statuses(report) == ["changed"]
    assert shown(report)["cache_updated"] is True  # as Ansible reports it in check mode
    log = target.log()
    assert not [line for line in log if line.startswith("apt-get") or "apt-mark manual" in line]
    assert f"{DPKG_QUERY} htop" in log and "apt-cache policy curl" in log
    assert target.installed() == {}


def test_apt_latest_absent_pin_and_virtual(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1", curl="8.0-1")
    target.packages("pkg", htop="3.1-1", curl="8.0-1", mawk="1.3.4")
    (target.state / "manual" / "htop").touch()
    (target.state / "provides" / "awk").write_text("mawk 1.3.4 (= )\n")

    first = target.run(binary, "apt_more")
    assert statuses(first) == ["changed", "changed", "ok", "ok"]
    log = target.log()
    assert f"apt-get -y {APT_OPTS} install htop=3.2-1" in log
    assert f"apt-get -q -y {APT_OPTS} remove curl" in log
    assert "apt-cache showpkg awk" in log  # the virtual package resolved to mawk
    assert target.installed() == {"htop": "3.2-1", "mawk": "1.3.4"}

    second = target.run(binary, "apt_more")
    assert statuses(second) == ["ok", "ok", "ok", "ok"]
    assert not [line for line in target.log() if line.startswith("apt-get")]


def test_apt_failures_are_clear(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1")
    (target.state / "update_fails").touch()
    report = target.run(binary, "apt_err")
    msgs = [(t["status"], t["msg"]) for t in tasks_of(report)]
    assert msgs == [
        ("failed", "No package matching 'nosuch' is available"),
        ("failed", "no available installation candidate for htop=9.9"),
        (
            "failed",
            "Failed to update apt cache after 1 retries: E: Failed to fetch "
            "http://example/InRelease",
        ),
    ]
    assert not [line for line in target.log() if "install" in line]
    assert target.installed() == {}


def test_not_root_is_a_clear_failure(binary: str) -> None:
    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or not setpriv:
        pytest.skip("needs root and setpriv to run the binary as another user")
    # pytest's tmp folders are private to root: use one the other user can reach.
    base = Path(tempfile.mkdtemp(prefix="rustle-nonroot-"))
    try:
        shutil.copy(binary, base / "binary")
        target = Target(base / "t")
        target.packages("avail", htop="3.2-1", curl="8.0-1")
        for path in [base, *base.rglob("*")]:
            path.chmod(0o777 if path.is_dir() or path.name == "log" else 0o755)
        as_nobody = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
        report = target.run(str(base / "binary"), "apt", prefix=as_nobody)
        [only] = tasks_of(report)
        assert only["status"] == "failed"
        assert only["msg"].startswith("This command has to be run under the root user.")
        assert target.log() == []
        # Check mode only queries, which needs no privileges.
        report = target.run(str(base / "binary"), "apt", check=True, prefix=as_nobody)
        assert statuses(report) == ["changed"]
        assert target.installed() == {}
    finally:
        shutil.rmtree(base)


# --- other package managers (fake) ---------------------------------------------------


def test_package_with_use_dnf_and_dnf_yum(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1", curl="8.0-1")

    first = target.run(binary, "pkg_dnf")
    assert statuses(first) == ["changed"]
    assert target.log() == [f"{RPM_Q} htop", "dnf -y install htop", f"{RPM_Q} htop"]
    result = shown(first)
    assert (result["msg"], result["rc"], result["results"]) == (
        "",
        0,
        ["Installed: htop-3.2-1.x86_64"],
    )
    again = target.run(binary, "pkg_dnf")
    assert statuses(again) == ["ok"]
    assert shown(again)["msg"] == "Nothing to do"
    assert target.log() == [f"{RPM_Q} htop"]

    target.packages("pkg", htop="3.1-1")
    report = target.run(binary, "dnf")
    assert statuses(report) == ["changed", "ok", "failed", "changed"]
    log = target.log()
    assert "dnf -q check-update htop" in log and "dnf -y upgrade htop" in log
    assert "yum -y install curl" in log
    failure = shown(report)
    assert failure["msg"] == "Failed to install some of the specified packages"
    assert failure["failures"] == ["No package nosuch available."]
    assert failure["rc"] == 1
    assert target.installed() == {"htop": "3.2-1", "curl": "8.0-1"}
    assert statuses(target.run(binary, "dnf")) == ["ok", "ok", "failed", "ok"]


def test_dnf_check_mode_reports_without_installing(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1")
    report = target.run(binary, "pkg_dnf", check=True)
    assert statuses(report) == ["changed"]
    result = shown(report)
    assert result["msg"] == "Check mode: No changes made, but would have if not in check mode"
    assert result["results"] == ["Installed: htop"]
    assert target.log() == [f"{RPM_Q} htop", "dnf -q list --available htop"]
    assert target.installed() == {}


def test_apk(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-r0", curl="8.0-r0")
    target.packages("pkg", vim="9.0-r0")
    first = target.run(binary, "apk")
    assert statuses(first) == ["changed", "changed"]
    assert [t["msg"] for t in tasks_of(first)] == [
        "installed htop curl package(s)",
        "removed vim package(s)",
    ]
    assert shown(first)["packages"] == ["htop", "curl"]
    assert target.log() == [
        "apk update",
        "apk info -e htop",
        "apk info -e curl",
        "apk add htop curl",
        "apk info -e vim",
        "apk del --purge vim",
        "apk info -e vim",
    ]
    second = target.run(binary, "apk")
    assert [(t["status"], t["msg"]) for t in tasks_of(second)] == [
        ("ok", "package(s) already installed"),
        ("ok", "package(s) already removed"),
    ]
    assert target.installed() == {"htop": "3.2-r0", "curl": "8.0-r0"}


def test_pacman(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1", vim="9.1-1")
    target.packages("pkg", vim="9.0-1")
    first = target.run(binary, "pacman")
    assert [(t["status"], t["msg"]) for t in tasks_of(first)] == [
        ("changed", "Installed 1 package(s)"),
        ("changed", "Installed 1 package(s)"),
    ]
    assert shown(first)["packages"] == ["htop"]
    log = target.log()
    assert log[:3] == [
        "pacman --query htop",
        "pacman --sync --print-format %n %v htop",
        "pacman --noconfirm --noprogressbar --needed --sync htop",
    ]
    assert "pacman --query --upgrades vim" in log
    assert target.installed() == {"htop": "3.2-1", "vim": "9.1-1"}
    second = target.run(binary, "pacman")
    assert [t["msg"] for t in tasks_of(second)] == ["package(s) already installed"] * 2
    assert statuses(second) == ["ok", "ok"]


def test_zypper(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2-1")
    target.packages("pkg", vim="9.0-1")
    first = target.run(binary, "zypper")
    assert statuses(first) == ["changed", "changed"]
    assert target.log() == [
        "rpm -q htop",
        "zypper --non-interactive --quiet install --type package --auto-agree-with-licenses "
        "--no-recommends -- htop",
        "rpm -q vim",
        "zypper --non-interactive --quiet remove --type package vim",
    ]
    result = shown(first)
    assert (result["name"], result["state"], result["rc"]) == (["htop"], "present", 0)
    assert result["cmd"][1:4] == ["--non-interactive", "--quiet", "install"]
    assert statuses(target.run(binary, "zypper")) == ["ok", "ok"]
    assert target.installed() == {"htop": "3.2-1"}


def test_homebrew(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.packages("avail", htop="3.2", wget="1.21")
    target.packages("pkg", wget="1.21")
    first = target.run(binary, "brew")
    assert [(t["status"], t["msg"]) for t in tasks_of(first)] == [
        ("changed", "Changed: 1, Unchanged: 1")
    ]
    result = shown(first)
    assert (result["changed_pkgs"], result["unchanged_pkgs"]) == (["htop"], ["wget"])
    assert target.log() == [
        "brew info --json=v2 htop",
        "brew install htop",
        "brew info --json=v2 wget",
    ]
    second = target.run(binary, "brew")
    assert [(t["status"], t["msg"]) for t in tasks_of(second)] == [
        ("ok", "Changed: 0, Unchanged: 2")
    ]


def test_missing_manager_is_a_clear_failure(binary: str, tmp_path: Path) -> None:
    if shutil.which("apk", path="/usr/bin:/bin:/sbin:/usr/sbin:/usr/local/sbin"):
        pytest.skip("this machine has apk")
    target = Target(tmp_path, fakes=[])
    report = target.run(binary, "nomgr")
    [only] = tasks_of(report)
    assert only["status"] == "failed"
    assert only["msg"] == (
        f'Failed to find required executable "apk" in paths: '
        f"{target.bin}:/usr/bin:/bin:/sbin:/usr/sbin:/usr/local/sbin"
    )


# --- this machine's real dpkg/apt ------------------------------------------------------


def _dpkg_installed(name: str) -> bool:
    result = process.run(["dpkg-query", "-W", "-f=${Status}", name], timeout=60)
    return result.returncode == 0 and result.stdout.endswith(" installed")


def _apt_versions(name: str) -> tuple[str, str]:
    result = process.run(["apt-cache", "policy", name], env={"LANG": "C", "PATH": "/usr/bin:/bin"})
    fields = dict(
        line.strip().split(": ", 1) for line in result.stdout.splitlines() if ": " in line
    )
    return fields.get("Installed", ""), fields.get("Candidate", "")


@pytest.fixture
def real_apt() -> None:
    if not shutil.which("dpkg-query") or not shutil.which("apt-get"):
        pytest.skip("this machine has no dpkg/apt")


def _run_real(binary: str, tags: str) -> dict[str, Any]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C"}
    result = process.run([binary, "--format", "json", "--tags", tags], env=env, timeout=300)
    assert result.returncode in (0, 2), result.stderr
    return json.loads(result.stdout)


def test_real_dpkg_installed_package_is_unchanged(binary: str, real_apt: None) -> None:
    assert _dpkg_installed("coreutils")
    report = _run_real(binary, "real")
    assert statuses(report) == ["ok"]
    result = shown(report)
    assert result["changed"] is False
    assert isinstance(result["cache_update_time"], int)
    assert result["cache_updated"] is False


def test_real_apt_check_mode_decisions(binary: str, real_apt: None) -> None:
    if _dpkg_installed("cowsay"):
        pytest.skip("cowsay is installed here")
    if _apt_versions("cowsay")[1] in ("", "(none)"):
        pytest.skip("cowsay is not available from this machine's apt sources")
    installed, candidate = _apt_versions("bash")
    report = _run_real(binary, "real_check")
    got = [(t["status"], t["msg"]) for t in tasks_of(report)]
    assert got[0] == ("changed", None)  # package (detected apt) would install cowsay
    assert got[1] == ("failed", "No package matching 'rustle-no-such-package-xyz' is available")
    assert got[2][0] == ("changed" if installed != candidate else "ok")
    assert got[3] == ("changed", None)  # removing coreutils: reported, not done
    assert got[4] == ("ok", None)
    assert got[5] == (
        "failed",
        "Could not find the requested service rustle-no-such-service: host",
    )
    assert _dpkg_installed("coreutils") and not _dpkg_installed("cowsay")


# --- services (fake) -------------------------------------------------------------------


def test_systemd(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.touch("cron.exists")
    first = target.run(binary, "systemd")
    assert statuses(first) == ["changed", "changed", "failed"]
    log = target.log()
    assert log[:5] == [
        "systemctl daemon-reload",
        "systemctl show cron",
        "systemctl is-enabled cron -l",
        "systemctl enable cron",
        "systemctl start cron",
    ]
    assert log[5:7] == ["systemctl show cron", "systemctl restart cron"]
    assert tasks_of(first)[2]["msg"] == "Could not find the requested service nosuch: host"
    assert target.has("cron.active") and target.has("cron.enabled")
    result = shown(first)
    assert (result["name"], result["state"], result["enabled"]) == ("cron", "started", True)
    assert result["status"]["ActiveState"] == "inactive"  # as queried before the change
    assert result["status"]["ExecStart"].startswith("{ path=/usr/sbin/cron")

    second = target.run(binary, "systemd")
    assert statuses(second) == ["ok", "changed", "failed"]  # restarted always restarts
    assert "systemctl start cron" not in target.log()


def test_systemd_check_mode(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.touch("cron.exists")
    report = target.run(binary, "systemd", check=True)
    assert statuses(report) == ["changed", "changed", "failed"]
    mutating = {"daemon-reload", "enable", "start", "restart"}
    assert not [line for line in target.log() if set(line.split()[1:2]) & mutating]
    assert not target.has("cron.active") and not target.has("cron.enabled")


def test_sysv_service(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path, fakes=["service", "update-rc.d"])  # no rc-service: SysV
    install_init_script(target.root, "web")
    first = target.run(binary, "sysv")
    assert statuses(first) == ["changed", "failed"]
    assert target.log() == [
        "update-rc.d web defaults",
        "update-rc.d web enable",
        "service web status",
        "init.d/web status",
        "service web start",
        "init.d/web start",
    ]
    assert (target.root / "etc" / "rc2.d" / "S01web").is_symlink()
    result = shown(first)
    assert (result["name"], result["state"], result["enabled"]) == ("web", "started", True)
    assert tasks_of(first)[1]["msg"] == "Could not find the requested service ghost: host"

    second = target.run(binary, "sysv")
    assert statuses(second) == ["ok", "failed"]
    assert target.log() == ["service web status", "init.d/web status"]

    (target.state / "svc" / "web.active").unlink()
    check = target.run(binary, "sysv", check=True)
    assert statuses(check) == ["changed", "failed"]
    assert tasks_of(check)[0]["msg"] == "service state changed"
    assert target.log() == ["service web status", "init.d/web status"]
    assert not target.has("web.active")


def test_sysvinit_module(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path, fakes=["service", "update-rc.d"])  # no rc-service: SysV
    install_init_script(target.root, "db")
    first = target.run(binary, "sysvinit")
    assert statuses(first) == ["changed"]
    assert target.log() == [
        "service db status",
        "init.d/db status",
        "update-rc.d db defaults",
        "init.d/db start",
    ]
    result = shown(first)
    assert result["status"]["enabled"]["changed"] is True
    assert result["status"]["started"]["changed"] is True
    assert result["status"]["started"]["rc"] == 0
    assert statuses(target.run(binary, "sysvinit")) == ["ok"]


def test_openrc(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    target.touch("nginx.exists")
    first = target.run(binary, "openrc")
    assert statuses(first) == ["changed", "failed"]
    assert target.log() == [
        "rc-service --exists nginx",
        "rc-update show",
        "rc-update add nginx default",
        "rc-service nginx status",
        "rc-service nginx start",
        "rc-service --exists ghost",
    ]
    assert tasks_of(first)[1]["msg"] == "Could not find the requested service ghost: host"
    assert target.has("nginx.active") and target.has("nginx.enabled")
    assert statuses(target.run(binary, "openrc")) == ["ok", "failed"]


def test_launchd(binary: str, tmp_path: Path) -> None:
    target = Target(tmp_path)
    agents = target.home / "Library" / "LaunchAgents"
    agents.mkdir(parents=True)
    plist = agents / "com.example.agent.plist"
    plist.write_text("RunAtLoad=false\n")
    first = target.run(binary, "launchd")
    assert statuses(first) == ["changed"]
    log = target.log()
    assert log[:5] == [
        "launchctl list",
        f"plutil -extract RunAtLoad raw -o - {plist}",
        f"plutil -replace RunAtLoad -bool YES {plist}",
        f"launchctl load {plist}",
        "launchctl start com.example.agent",
    ]
    assert plist.read_text() == "RunAtLoad=true\n"
    status = shown(first)["status"]
    assert (status["previous_state"], status["current_state"]) == ("unloaded", "started")
    assert status["current_pid"] == "4242"
    second = target.run(binary, "launchd")
    assert statuses(second) == ["ok"]
    assert not [line for line in target.log() if "load" in line or "start" in line]


# --- build-time argument checks ----------------------------------------------------------


def test_normalizers_fold_aliases_and_refuse_what_the_runtime_cannot_do() -> None:
    from rustle_invoke.modules import ArgumentError
    from rustle_invoke.system_modules import (
        normalize_apt,
        normalize_homebrew,
        normalize_package,
        normalize_service,
        normalize_systemd,
        normalize_zypper,
    )

    apt = normalize_apt({"pkg": "htop, curl", "update-cache": "yes", "install-recommends": "no"})
    assert (apt["name"], apt["update_cache"], apt["install_recommends"]) == (
        ["htop", "curl"],
        True,
        False,
    )
    assert normalize_apt({"name": "{{ pkgs }}"})["name"] == "{{ pkgs }}"
    assert normalize_package({"name": "x", "state": "installed"})["state"] == "present"
    assert normalize_zypper({"name": "x", "refresh": True})["update_cache"] is True
    assert normalize_homebrew({"formula": "wget", "update_homebrew": True})["update_cache"] is True
    refused = [
        (normalize_apt, {"name": "htop>=3.0"}, "version comparisons such as 'htop>=3.0'"),
        (normalize_apt, {"name": "lib*"}, "package name patterns such as 'lib*'"),
        (normalize_apt, {"name": "a=1=2"}, "invalid package spec: a=1=2"),
        (normalize_apt, {"deb": "/tmp/x.deb"}, "option 'deb' is not supported by this runtime"),
        (normalize_apt, {"name": "x", "state": "build-dep"}, "state=build-dep is not supported"),
        (
            normalize_apt,
            {"name": "x", "bogus": 1},
            "unsupported parameters for (apt) module: bogus",
        ),
        (normalize_apt, {"name": "x", "state": "gone"}, "value of state must be one of: absent,"),
        (normalize_apt, {"name": "x", "purge": "maybe"}, "'purge' must be a boolean"),
        (normalize_apt, {}, "one of the following is required: name, update_cache"),
        (normalize_package, {"name": "x", "use": "portage"}, 'the "portage" package manager'),
        (normalize_homebrew, {"name": "x", "state": "head"}, "state=head is not supported"),
        (normalize_service, {"name": "x"}, "one of the following is required: state, enabled"),
        (normalize_systemd, {"state": "started"}, "required by 'state': name"),
        (normalize_systemd, {"name": "a*", "state": "started"}, "glob patterns, found '*'"),
    ]
    for normalize, args, message in refused:
        with pytest.raises(ArgumentError) as caught:
            normalize(args)
        assert message in str(caught.value), (args, str(caught.value))


def test_bad_package_arguments_fail_the_build(tmp_path: Path) -> None:
    from conftest import cli

    plan = write_plan(tmp_path / "plan.json", [task("t_1", "apt", {"name": "htop>=3.0"})])
    result = cli("compile", "--plan", str(plan), "--profile", "debug")
    assert result.returncode == 3, result.stderr
    assert "version comparisons such as 'htop>=3.0'" in result.stderr
