"""Every app's tests run with `make test`: pytest.ini's testpaths name each folder with tests."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_folder_with_tests_is_in_testpaths() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "pytest.ini")
    testpaths = set(config["pytest"]["testpaths"].split())
    with_tests = {
        path.parent.parent.name
        for path in ROOT.glob("*/tests/test_*.py")
        if not path.parent.parent.name.startswith(".")
    } | {path.parent.name for path in ROOT.glob("*/test_*.py")}
    assert with_tests - testpaths == set(), "add these folders to testpaths in pytest.ini"
