"""ansible_ssh_common_args read as ssh reads them, and what reaches the Fabric connection
(the connection is built, not opened: nothing here needs a server)."""

from __future__ import annotations

import pytest

from rustle_invoke.inventory import InventoryError
from rustle_invoke.remote import SshSettings, connect, ssh_options


def _settings(common: str, **more: object) -> SshSettings:
    return SshSettings.from_vars("web1", {"ansible_ssh_common_args": common, **more})


def test_keywords_and_flags_are_read_in_order_and_client_only_ones_dropped() -> None:
    options = ssh_options(
        [
            "-o",
            "StrictHostKeyChecking=no",
            "-oControlMaster=auto",
            "-o",
            "ControlPersist 60s",
            "-J",
            "bastion",
            "-p2222",
            "-A",
            "-o",
            "Port=1",
        ],
        "here",
    )
    assert options == (
        ("stricthostkeychecking", "no"),
        ("proxyjump", "bastion"),
        ("port", "2222"),
        ("forwardagent", "yes"),
        ("port", "1"),
    )


@pytest.mark.parametrize(
    ("common", "message"),
    [
        ("-X", "'-X' is not an ssh option a deploy understands"),
        ("-o", "-o needs a value"),
        ("-o Compression", "-o 'Compression' has no value"),
        ("-J", "-J needs a value"),
    ],
)
def test_what_ssh_would_not_take_is_an_error_naming_the_host(common: str, message: str) -> None:
    with pytest.raises(InventoryError, match="host web1: ansible_ssh_common_args") as caught:
        _settings(common)
    assert message in str(caught.value)


def test_the_options_reach_the_connection_and_inventory_vars_win() -> None:
    settings = _settings("-o ProxyCommand='nc %h %p' -p 2222 -o ConnectTimeout=7")
    connection = connect(settings, check_host_keys=False)
    assert connection.gateway == "nc web1 2222"  # tokens expanded, as ssh does
    assert connection.port == 2222  # ssh's -p, as ansible_port is not set
    assert connection.connect_timeout == 7  # the host's own, over --connect-timeout
    explicit = connect(_settings("-p 2222", ansible_port=2200), check_host_keys=False)
    assert explicit.port == 2200
    assert explicit.connect_timeout == 10


@pytest.mark.parametrize(
    ("common", "policy"),
    [
        ("", None),
        ("-o StrictHostKeyChecking=no", "no"),
        ("-o StrictHostKeyChecking=off", "no"),
        ("-o StrictHostKeyChecking=accept-new", "accept-new"),
        ("-o StrictHostKeyChecking=yes", "yes"),
    ],
)
def test_a_hosts_own_host_key_policy_is_read(common: str, policy: str | None) -> None:
    assert _settings(common).host_key_policy == policy


def test_a_non_numeric_port_is_an_inventory_error() -> None:
    with pytest.raises(InventoryError, match="ansible_port is not a number: 'ssh'"):
        SshSettings.from_vars("web1", {"ansible_port": "ssh"})
