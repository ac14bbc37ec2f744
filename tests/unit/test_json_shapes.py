"""The ``--json`` shapes docs/inventory.md promises are what the commands print, key for key.

The shapes are read out of the doc's "JSON shapes" section, so the doc and this test cannot drift
apart: a new field must be documented, a documented one must be printed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli_city import CliCity
from tests.helpers.doc_shapes import assert_shape, inline_shapes, json_blocks, parse_shape, section

ROOT = Path(__file__).resolve().parents[2]
SHAPES = section(ROOT / "docs" / "inventory.md", "JSON shapes (`--json`)")
BLOCKS = json_blocks(SHAPES)
INLINE = inline_shapes(SHAPES)
SECRETS = {"lab/snmp-community": "shape-community", "lab/ssh": {"username": "netctl", "password": "shape-pw"}}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> CliCity:
    return CliCity(tmp_path_factory.mktemp("shapes"), SECRETS)


def example_ap() -> dict[str, Any]:
    """The AP example with the keys ``show --json`` adds (named in the doc: "plus `site_title` and …")."""
    extra = re.search(r"\*\*AP\*\*[^\n]*\n?[^\n]*?plus ([^:]+):", SHAPES)
    assert extra, "the AP shape no longer says which keys `show --json` adds"
    return {**BLOCKS["AP"], **dict.fromkeys(re.findall(r"`(\w+)`", extra.group(1)))}


def test_the_doc_shows_every_shape_this_test_checks() -> None:
    assert set(BLOCKS) == {"AP", "vars", "import report", "problems"}
    assert set(INLINE) == {"tenants", "sites", "groups", "tree", "set", "init", "secret list"}


def test_ap_list_and_show(city: CliCity) -> None:
    listed = city.json("inventory", "list")
    assert len(listed) == 76
    assert_shape([BLOCKS["AP"]], listed, "inventory list", deep=False)
    name = BLOCKS["AP"]["name"]
    assert_shape(example_ap(), city.json("inventory", "show", name), f"inventory show {name}")


def test_vars(city: CliCity) -> None:
    name = BLOCKS["AP"]["name"]
    variables = city.json("inventory", "vars", name)
    assert {"uplink", "ap", "site"} <= {v["key"] for v in variables}
    assert_shape(BLOCKS["vars"], variables, f"inventory vars {name}")


def test_import_report(city: CliCity) -> None:
    assert city.import_report["changed"] is True and len(city.import_report["aps"]["added"]) == 76
    assert_shape(BLOCKS["import report"], city.import_report, "inventory import")
    again = city.json("inventory", "import", *city.files)
    assert again["changed"] is False
    assert_shape(BLOCKS["import report"], again, "inventory import (again)")


def test_problems_of_import_and_set(city: CliCity, tmp_path: Path) -> None:
    bad = tmp_path / "fleet.csv"
    bad.write_text("name,site,platform,address\na2,nowhere,openwrt,127.0.0.2\n")
    problems = city.json("inventory", "import", *city.files, str(bad), code=2)
    assert problems["ok"] is False and problems["problems"][0]["line"] == 2
    assert_shape(BLOCKS["problems"], problems, "inventory import (problems)")
    refused = city.json("inventory", "set", BLOCKS["AP"]["name"], "credentials=admin:admin", code=2)
    assert_shape(BLOCKS["problems"], refused, "inventory set (problems)")


@pytest.mark.parametrize("label", ["tenants", "sites", "groups", "tree"])
def test_listings(city: CliCity, label: str) -> None:
    assert_shape(INLINE[label], city.json("inventory", label), f"inventory {label}")


def test_set_prints_the_ap_and_the_changed_fields(city: CliCity) -> None:
    name = BLOCKS["AP"]["name"]
    changed = city.json("inventory", "set", name, "model=WRT-V 3300")
    assert changed["changed"] == ["model"]
    assert_shape(INLINE["set"], changed, f"inventory set {name}")
    assert INLINE["set"]["ap"] == "AP", "the set shape no longer names the AP shape"
    assert_shape(example_ap(), changed["ap"], f"inventory set {name}: ap")


def test_init_and_secret_list(city: CliCity) -> None:
    assert city.init["counts"]["aps"] == 0
    assert_shape(INLINE["init"], city.init, "init")
    again = city.json("init")
    assert again["counts"]["aps"] == 76 and again["counts"]["secrets"] == len(SECRETS)
    assert_shape(INLINE["init"], again, "init (existing database)")
    assert_shape(INLINE["secret list"], city.json("secret", "list"), "secret list")


def test_a_key_missing_from_the_doc_or_the_output_fails() -> None:
    documented = parse_shape('[{"name", "counts": {"aps"}, "vars": {}, "fields": {"gs-x-ap01": ["port"]}}]')
    printed = [{"name": "a", "counts": {"aps": 1}, "vars": {"x": 1}, "fields": {}}]
    assert_shape(documented, printed, "same")
    with pytest.raises(AssertionError, match=r"prints \['title'\] that the docs do not list"):
        assert_shape(documented, [{**printed[0], "title": "t"}], "unlisted")
    with pytest.raises(AssertionError, match=r"list \['aps'\] that the output lacks"):
        assert_shape(documented, [{**printed[0], "counts": {}}], "missing")
    with pytest.raises(AssertionError, match="expected a non-empty list"):
        assert_shape(documented, [], "empty")
