"""`make test` runs two pytest workers, and every test that shares the lab must run in one of them, one
after another (tests/conftest.py marks them with one xdist group). The group has to be on the tests
before xdist writes it into their IDs; when it came after, the lab's tests ran in both workers at once
and pushed to the same APs."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers.lab import ROOT


def test_the_lab_s_tests_run_in_one_worker_one_after_another() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadgroup", "-v",
         "tests/unit/test_region.py", "tests/unit/test_i18n.py"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    lines = re.findall(r"^\[(gw\d+)\] .*? PASSED (\S+)", run.stdout, re.M)
    grouped = [(worker, test) for worker, test in lines if test.startswith("tests/unit/test_region.py")]
    free = [test for _worker, test in lines if test.startswith("tests/unit/test_i18n.py")]
    assert grouped and free, run.stdout[-3000:]
    assert all(test.endswith("@lab") for _worker, test in grouped), grouped
    assert len({worker for worker, _test in grouped}) == 1, grouped
    assert not [test for test in free if "@" in test], free
