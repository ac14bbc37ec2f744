"""Platforms are definitions held by one registry: complete, consistent, and never silently shadowed.

The same registry holds drivers, SNMP profiles, notifier kinds and jobs: a name defined twice raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from netctl.drivers import DRIVERS, get_driver
from netctl.drivers.plan import compare
from netctl.errors import ConfigError
from netctl.notify import NOTIFIERS, load_notifier
from netctl.platforms import PLATFORMS, get_platform, platform_table
from netctl.poll.oids import PROFILES, profile_for
from netctl.registry import NameClash, Registry
from netctl.render.schema import CHECKS
from netctl.resources import templates_dir, yang_dir
from netctl.schedule.jobs import JOBS, job_function, register_job
from netctl.values import DIALECTS

REGISTRIES: tuple[Registry[object], ...] = (PLATFORMS, DRIVERS, PROFILES, NOTIFIERS, JOBS)  # type: ignore[assignment]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A site-packages folder on sys.path where a test installs plugin distributions."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    for registry in REGISTRIES:
        registry.reload()
    yield folder
    monkeypatch.undo()
    for registry in REGISTRIES:
        registry.reload()


def install(site: Path, dist: str, entry_points: str, module: str = "") -> None:
    """A plugin distribution as pip leaves it: metadata, entry points, and its module."""
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)
    if module:
        (site / f"{dist}.py").write_text(module)


PLUGIN_PLATFORM = (
    "from netctl.platforms import Platform\n"
    "AP = Platform({name!r}, 'a plugin AP polled only', snmp_profile='system-only')\n"
)


def test_every_platform_names_what_exists() -> None:
    """Each definition's profile, templates, quoting, local check, dialect, driver and YANG modules exist."""
    dialects = set()
    for name, platform in PLATFORMS.items():
        assert platform.name == name
        assert platform.snmp_profile in PROFILES, name
        assert profile_for(name).name == platform.snmp_profile
        if platform.transport is None:
            assert platform.driver is None and platform.template_dir is None, name
            continue
        assert platform.driver in DRIVERS, name
        assert platform.template_dir and platform.default_template, name
        assert (templates_dir() / platform.template_dir / platform.default_template).is_file(), name
        assert platform.quoting in DIALECTS, name
        assert platform.local_check in CHECKS, name
        assert platform.default_port, name
        for module in platform.yang_modules:
            assert list(yang_dir().rglob(f"{module}.yang")), (name, module)
        if platform.transport == "netconf":
            assert platform.running_filter and platform.post_check_session in ("channel", "connection"), name
        else:
            assert platform.device_type and platform.backup_command and platform.error_patterns, name
        assert not compare("", "", name).changed
        dialects.add(platform.dialect)
    assert dialects == {"xml", "uci", "ios", "vrp", "zxros"}


def test_the_platform_table_is_plain_data_of_every_definition() -> None:
    table = platform_table()
    assert sorted(table) == sorted(PLATFORMS)
    assert table["openwrt"]["commit_commands"] == ["uci commit", "wifi reload"]
    assert table["cli-ios"]["snmp_profile"] == "switch"
    assert table["snmp-only"]["transport"] is None


def test_a_plugin_platform_is_used_like_a_built_in(site: Path) -> None:
    install(site, "acmeap", "[netctl.platforms]\nacme-ap = acmeap:AP\n", PLUGIN_PLATFORM.format(name="acme-ap"))
    assert get_platform("acme-ap").description == "a plugin AP polled only"
    assert "acme-ap" in PLATFORMS and "entry point acme-ap = acmeap:AP (acmeap" in PLATFORMS.source("acme-ap")
    assert profile_for("acme-ap").name == "system-only"
    assert PLATFORMS.source("openwrt") == "netctl (built-in)"


def test_a_plugin_platform_cannot_replace_a_built_in(site: Path) -> None:
    install(site, "shadowap", "[netctl.platforms]\nopenwrt = shadowap:AP\n", PLUGIN_PLATFORM.format(name="openwrt"))
    with pytest.raises(NameClash) as caught:
        get_platform("openwrt")
    assert isinstance(caught.value, ConfigError)
    message = str(caught.value)
    assert "platform 'openwrt' is defined twice" in message
    assert "netctl (built-in)" in message and "shadowap:AP (shadowap" in message
    assert caught.value.sources[0] == "netctl (built-in)"
    with pytest.raises(NameClash):  # nothing of the failed load is kept: every lookup says so
        get_platform("cli-ios")


def test_two_plugins_cannot_define_one_platform(site: Path) -> None:
    install(site, "firstap", "[netctl.platforms]\nacme-ap = firstap:AP\n", PLUGIN_PLATFORM.format(name="acme-ap"))
    install(site, "secondap", "[netctl.platforms]\nacme-ap = secondap:AP\n", PLUGIN_PLATFORM.format(name="acme-ap"))
    with pytest.raises(NameClash) as caught:
        PLATFORMS.get("acme-ap")
    first, second = caught.value.sources
    assert {first.split(" (")[1].split(",")[0], second.split(" (")[1].split(",")[0]} == {"firstap", "secondap"}
    assert "firstap:AP" in str(caught.value) and "secondap:AP" in str(caught.value)


def test_a_plugin_entry_point_must_name_a_definition_of_its_name(site: Path) -> None:
    install(site, "oddap", "[netctl.platforms]\nodd-ap = oddap:AP\n", PLUGIN_PLATFORM.format(name="other-name"))
    with pytest.raises(ConfigError, match=r"is not a netctl\.platforms\.Platform named 'odd-ap'"):
        get_platform("odd-ap")


def test_drivers_and_snmp_profiles_clash_the_same_way(site: Path) -> None:
    install(site, "shadowdrv", "[netctl.drivers]\ncli = shadowdrv:Driver\n[netctl.snmp_profiles]\nswitch = x:Y\n")
    with pytest.raises(NameClash, match=r"driver 'cli' is defined twice: by netctl \(built-in\) and by entry point"):
        get_driver("cli")
    with pytest.raises(NameClash, match="SNMP profile 'switch' is defined twice"):
        profile_for("cli-ios")


def test_registering_a_taken_name_raises() -> None:
    registry: Registry[int] = Registry("widget")
    registry.register("a", 1)
    with pytest.raises(NameClash, match=r"widget 'a' is defined twice: by netctl \(built-in\) and by tests"):
        registry.register("a", 2, source="tests")
    assert registry["a"] == 1 and len(registry) == 1


def test_a_plugin_that_cannot_be_imported_is_named(site: Path) -> None:
    install(site, "brokenap", "[netctl.platforms]\nbroken-ap = brokenap_missing:AP\n")
    with pytest.raises(ConfigError, match=r"cannot load entry point broken-ap = brokenap_missing:AP \(brokenap"):
        get_platform("openwrt")


def test_notifier_kinds_and_jobs_clash_the_same_way(site: Path) -> None:
    install(site, "shadowjobs", "[netctl.notifiers]\nwebhook = x:Y\n[netctl.jobs]\npoll = x:poll_job\n")
    with pytest.raises(NameClash, match=r"notifier kind 'webhook' is defined twice: by netctl \(built-in\) and by"):
        load_notifier("webhook", "http://127.0.0.1:9/")
    with pytest.raises(NameClash, match=r"job 'poll' is defined twice: by netctl \(built-in\) and by entry point poll"):
        job_function("poll")


def a_job(db_path: str, selection_json: str, **_: object) -> list[dict[str, object]]:
    return []


def test_register_job_refuses_a_taken_name_but_not_its_own_job() -> None:
    register_job("registry-test", a_job)
    try:
        register_job("registry-test", a_job)  # the same job again: nothing changes
        assert job_function("registry-test") is a_job
        with pytest.raises(NameClash, match=r"job 'registry-test' is defined twice: by register_job\('registry-test', "
                                            r"'tests.unit.test_platforms:a_job'\) and by register_job"):
            register_job("registry-test", "netctl.poll.jobs:poll_job")
        with pytest.raises(NameClash, match="job 'poll' is defined twice"):
            register_job("poll", a_job)
    finally:
        JOBS.unregister("registry-test")
    assert "registry-test" not in JOBS
