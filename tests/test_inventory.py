"""Inventories read as ansible-core reads them: every case is compared with
`ansible-inventory --list` on the same file."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from rustle_invoke import process
from rustle_invoke.errors import ConfigError
from rustle_invoke.inventory import InventoryError, load_inventory, parse_ini, select_hosts
from rustle_invoke.targets import triple_for_host

INI_CASES = {
    "plain": """
alpha
beta ansible_host=127.0.0.1 ansible_port=2222

[web]
web[01:03].example.com http_port=8080
beta

[db]
db-[a:c] ansible_user=postgres

[db:vars]
pool = 10
name = "quoted stays quoted"

[prod:children]
web
db

[prod:vars]
env=prod
http_port=80

[all:vars]
ntp=time.example.com
""",
    "literals-and-ports": """
[app]
app1:2201 enabled=True ratio=0.5 tags="['a', 'b']" note='two words' raw=not_a_literal
app2 ansible_ssh_common_args='-o StrictHostKeyChecking=no'
app[3:7:2]
""",
    "priority-and-depth": """
[a]
h1
[b]
h1
[a:vars]
x=from_a
ansible_group_priority=10
[b:vars]
x=from_b
[parent:children]
a
[parent:vars]
x=from_parent
y=from_parent
""",
}

YAML_CASES = {
    "nested": """
all:
  vars:
    ntp: time.example.com
  hosts:
    lonely:
  children:
    web:
      hosts:
        web[1:2]:
          http_port: 8080
        edge:2200:
      vars:
        tier: front
    prod:
      children:
        web:
        db:
          hosts:
            db1:
              ansible_user: postgres
          vars:
            tier: back
      vars:
        env: prod
        tier: default
""",
}


def _ansible_inventory() -> str:
    beside = Path(sys.executable).parent / "ansible-inventory"
    found = shutil.which("ansible-inventory") or str(beside)
    if not Path(found).exists():
        pytest.skip("ansible-core is not installed (the test extra installs it)")
    return found


def _oracle(path: Path) -> dict:
    env = {**os.environ, "ANSIBLE_INVENTORY_ENABLED": "ini,yaml", "ANSIBLE_NOCOLOR": "1"}
    result = process.run(
        [_ansible_inventory(), "-i", str(path), "--list"], env=env, timeout=120, supervised=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _compare(path: Path) -> None:
    oracle = _oracle(path)
    ours = load_inventory(path)
    hosts = ours.hosts()
    hostvars = oracle["_meta"]["hostvars"]
    assert set(hosts) >= set(hostvars)
    for name, host in hosts.items():
        assert dict(host.vars) == hostvars.get(name, {}), name
    for group, body in oracle.items():
        if group == "_meta":
            continue
        mine = ours.groups[group]
        assert sorted(mine.hosts) == sorted(body.get("hosts", [])), group
        assert sorted(mine.children) == sorted(body.get("children", [])), group
    for name, host in hosts.items():
        direct = {g for g, body in oracle.items() if name in body.get("hosts", [])}
        assert direct <= set(host.groups), name


@pytest.mark.parametrize("name", sorted(INI_CASES))
def test_ini_inventories_read_as_ansible_reads_them(name: str, tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text(INI_CASES[name])
    _compare(path)


@pytest.mark.parametrize("name", sorted(YAML_CASES))
def test_yaml_inventories_read_as_ansible_reads_them(name: str, tmp_path: Path) -> None:
    path = tmp_path / "hosts.yml"
    path.write_text(YAML_CASES[name])
    _compare(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[web\nhost", "cannot read the section header"),
        ("[web:weird]\nhost", "unknown section kind 'weird'"),
        ("[web]\nhost port", "expected key=value, found 'port'"),
        ("[web]\nhost[5:1]", "the host range [5:1] is empty"),
        ("[a:children]\nb\n[b:children]\na", "groups contain each other"),
        ("[web]\nhost note='unclosed", "No closing quotation"),
    ],
)
def test_bad_ini_is_one_error_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(InventoryError) as caught:
        parse_ini(text, "hosts.ini")
    assert message in caught.value.message
    assert caught.value.message.startswith("hosts.ini")


PATTERNS = [
    "all",
    "web",
    "web:db",
    "web,alpha",
    "prod:&web",
    "all:!db",
    "prod:!web01.example.com",
    "web*",
    "~db-[ab]",
    "*.example.com",
    "ungrouped",
    "prod:&db:!db-b",
]


def _ansible_list_hosts(path: Path, pattern: str) -> list[str]:
    ansible = Path(_ansible_inventory()).with_name("ansible")
    env = {**os.environ, "ANSIBLE_INVENTORY_ENABLED": "ini,yaml", "ANSIBLE_NOCOLOR": "1"}
    result = process.run(
        [str(ansible), pattern, "-i", str(path), "--list-hosts"],
        env=env, timeout=120, supervised=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [line.strip() for line in result.stdout.splitlines()[1:] if line.strip()]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_limit_patterns_select_what_ansible_selects(pattern: str, tmp_path: Path) -> None:
    path = tmp_path / "hosts.ini"
    path.write_text(INI_CASES["plain"])
    expected = _ansible_list_hosts(path, pattern)
    assert sorted(select_hosts(load_inventory(path), pattern)) == sorted(expected)


@pytest.mark.parametrize(
    ("uname", "musl", "triple"),
    [
        ("Linux x86_64", False, "x86_64-unknown-linux-gnu"),
        ("Linux x86_64\n", True, "x86_64-unknown-linux-musl"),
        ("Linux aarch64", False, "aarch64-unknown-linux-gnu"),
        ("Linux armv7l", False, "armv7-unknown-linux-gnueabihf"),
        ("Darwin arm64", False, "aarch64-apple-darwin"),
        ("Darwin x86_64", False, "x86_64-apple-darwin"),
        ("FreeBSD amd64", False, "x86_64-unknown-freebsd"),
    ],
)
def test_a_hosts_uname_names_its_target(uname: str, musl: bool, triple: str) -> None:
    assert triple_for_host(uname, musl=musl) == triple


def test_this_machines_uname_names_the_host_triple() -> None:
    from rustle_invoke.toolchain import detect_toolchain

    uname = process.run(["uname", "-sm"], timeout=10, supervised=False).stdout
    assert triple_for_host(uname) == detect_toolchain().host


@pytest.mark.parametrize(
    ("uname", "message"), [("Plan9 mips", "no Rust target"), ("", "cannot read")]
)
def test_an_unknown_host_is_refused_with_the_override_hint(uname: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        triple_for_host(uname)
    assert message in caught.value.message
    assert "rustle_target" in (caught.value.hint or "")
