"""Drift: a change made behind netctl's back is found, shown and marked; a push heals it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.lab import with_psks
from tests.helpers.netconf import NWAP, manager_for

pytestmark = pytest.mark.lab


def test_out_of_band_change_is_drift(city: Any) -> None:
    api = with_psks(city)
    ap = "gym-adolfinum-ap01"
    assert api.config.push(ap, confirm_timeout=20)[0].ok
    assert api.config.drift(ap)[0].status == "in-sync"
    with manager_for(api, ap) as m:  # someone changes the channel by hand
        m.lock("candidate")
        m.discard_changes()
        m.edit_config(
            target="candidate",
            config=(
                '<config xmlns="urn:ietf:params:xml:ns:netconf:base:1.0">'
                f'<ap xmlns="{NWAP}"><radio><id>radio1</id>'
                "<channel>149</channel></radio></ap></config>"
            ),
        )
        m.commit()
        m.unlock("candidate")
    result = api.config.drift(ap)[0]
    assert result.status == "drifted"
    assert "~ ap/radio[id=radio1]/channel: 149 -> " in result.diff
    assert api.config.config_status(ap)[0]["status"] == "drifted"
    assert api.config.push(ap, confirm_timeout=20)[0].changed
    assert api.config.drift(ap)[0].status == "in-sync"
    assert api.config.config_status(ap)[0]["status"] == "applied"
