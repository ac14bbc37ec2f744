"""The fault matrix: whatever goes wrong, every AP is fully on its old or its new config and the
database says which. Each case reads the device back over its own session, not through netctl.

Cases elsewhere: kill -9 of the controller mid-push, in-process and with workers, and racing pushes
(tests/lab/test_push_journal_lab.py); an impostor host key (tests/lab/test_hostkeys_lab.py);
candidate locked by another session (tests/lab/test_push_netconf.py).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.lab.test_push_netconf import TX_5G, read_leaf, set_tx, with_psks

pytestmark = pytest.mark.lab


@pytest.fixture
def nc_city(city: Any) -> Any:
    return with_psks(city)


def test_confirm_timer_firing_before_netctl_confirms_is_reported_rolled_back(
    nc_city: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """netctl stalls after the confirmed commit (a stopped process, a slow post-check) until the AP's
    confirm timer has restored the old config: the late confirming commit must not be taken for success."""
    from netctl.drivers.netconf import NetconfDriver

    ap = "gym-rheinhausen-ap01"
    set_tx(nc_city, ap, 5)
    assert nc_city.push(ap, confirm_timeout=20)[0].ok
    versions_before = nc_city.history(ap)
    real_post_check = NetconfDriver._post_check

    def slow(self: Any, *args: Any, **kwargs: Any) -> str:
        after = real_post_check(self, *args, **kwargs)
        time.sleep(2 + 2.5)  # quiet past the 2 s timer: netconfd restores the old config meanwhile
        return after

    monkeypatch.setattr(NetconfDriver, "_post_check", slow)
    set_tx(nc_city, ap, 6)
    result = nc_city.push(ap, confirm_timeout=2)[0]

    assert read_leaf(nc_city, ap, TX_5G) == ["5"]
    assert (result.ok, result.status) == (False, "rolled-back"), (result.status, result.reason)
    assert "rolled back" in (result.reason or "")
    status = nc_city.config_status(ap)[0]
    assert status["status"] == "failed" and "rolled back" in (status["reason"] or "")
    assert nc_city.history(ap) == versions_before  # no version the device never kept
    assert nc_city.audit(ap=ap)[0]["outcome"] == "rolled-back"
