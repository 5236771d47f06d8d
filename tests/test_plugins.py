"""The plugin manager: built-ins as plugins, entry points loaded one by one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import cli, cli_json

from rustle_invoke.plugins import PluginLoadWarning, create_plugin_manager, plugin_identity


def _install_fake_plugins(site: Path) -> None:
    """Two entry-point plugins: one that works and one that fails to import."""
    (site / "good_rustle_plugin.py").write_text(
        "from rustle_invoke.hookspecs import hookimpl\n"
        "@hookimpl\n"
        "def rustle_cache_key_parts(plan, target):\n"
        "    return 'good'\n"
    )
    (site / "broken_rustle_plugin.py").write_text("raise ImportError('missing dependency')\n")
    dist = site / "fake_rustle_plugins-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: fake-rustle-plugins\nVersion: 1.2.3\n"
    )
    (dist / "entry_points.txt").write_text(
        "[rustle_invoke]\ngood = good_rustle_plugin\nbroken = broken_rustle_plugin\n"
    )


@pytest.fixture
def fake_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    _install_fake_plugins(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delenv("RUSTLE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    yield tmp_path
    for name in ("good_rustle_plugin", "broken_rustle_plugin"):
        sys.modules.pop(name, None)


def test_builtins_are_plugins_and_a_broken_plugin_is_named(fake_site: Path) -> None:
    with pytest.warns(PluginLoadWarning, match="'broken'.*missing dependency"):
        pm = create_plugin_manager()
    names = {name for name, _ in pm.list_name_plugin()}
    assert {"rustle_invoke.builders.cargo", "rustle_invoke.builtin_modules", "good"} <= names
    assert "broken" not in names
    assert pm.hook.rustle_cache_key_parts(plan=None, target=None) == ["good"]


def test_switches_turn_entry_points_off(fake_site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RUSTLE_DISABLED_PLUGINS", "broken")
    pm = create_plugin_manager()
    assert pm.get_plugin("good") is not None
    assert plugin_identity() == [f"good=good_rustle_plugin@1.2.3:{fake_site}"]
    monkeypatch.setenv("RUSTLE_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert create_plugin_manager().get_plugin("good") is None
    assert plugin_identity() == []


def test_a_misspelt_hook_fails_loudly() -> None:
    from rustle_invoke.hookspecs import hookimpl

    class Typo:
        @hookimpl
        def rustle_register_builder(self, registry):  # missing the final "s"
            pass

    pm = create_plugin_manager(autoload=False)
    pm.register(Typo())
    with pytest.raises(Exception, match="unknown hook 'rustle_register_builder'"):
        pm.check_pending()


def test_the_plugins_task_lists_plugins_and_names_the_broken_one(fake_site: Path) -> None:
    env = {"PYTHONPATH": str(fake_site), "RUSTLE_DISABLE_PLUGIN_AUTOLOAD": "0"}
    report = cli_json("plugins", env=env)
    listed = {item["name"]: item for item in report["plugins"]}
    assert report["autoload"] is True
    assert listed["good"]["origin"] == "entry point good_rustle_plugin"
    assert listed["good"]["version"] == "1.2.3"
    assert listed["good"]["hooks"] == ["rustle_cache_key_parts"]
    assert listed["rustle_invoke.builders.cargo"]["provides"] == {"builders": ["cargo"]}
    assert [f["name"] for f in report["failed"]] == ["broken"]
    assert "ImportError: missing dependency" in report["failed"][0]["error"]
    text = cli("plugins", env=env)
    assert text.returncode == 0
    assert "broken FAILED TO LOAD (broken_rustle_plugin): ImportError" in text.stdout
    assert "post-processors: codesign, upx" in text.stdout
    off = cli_json("plugins", env={**env, "RUSTLE_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert off["autoload"] is False and "good" not in {p["name"] for p in off["plugins"]}
