"""Build step that pyproject.toml cannot express: ship ``templates/`` and ``yang/`` as package data.

The checkout keeps both folders at the top (they are data a city edits and reviews, not code); a
wheel carries copies under ``netctl/_data/`` where :mod:`netctl.resources` finds them through
``importlib.resources``. Everything else about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
DATA = ("templates", "yang")


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout's folders directly
        for name in DATA:
            target = Path(self.build_lib) / "netctl" / "_data" / name
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(ROOT / name, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithData})
