""" "Testing your shop": its example conftest and tests pass, as a shop would run them.

They run in a pytest of their own, rooted at a folder holding the page's blocks named
``testing/...`` (so that its ``conftest.py`` is a root conftest, as in a shop), with this suite's settings standing in
for the shop's: the example app ``catalog`` is one of their installed apps.
"""

from __future__ import annotations

import subprocess
import sys

from tests.docs.support import ROOT, clean_env, snippet_folder

# Both files of "testing/*" run here: conftest.py and test_tryon.py.
FOLDER = "testing/*"


def test_the_example_tests_pass(tmp_path):
    folder = snippet_folder(FOLDER.removesuffix("/*"))
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(folder),
            "-c",
            "/dev/null",
            "--ds",
            "tests.settings",
            "-W",
            "ignore::DeprecationWarning",
            str(folder),
        ],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    assert "4 passed" in output, output[-2000:]


def test_fault_table_lists_every_fault_of_every_emulator():
    import re

    from django_tryon.testing.emulators import (
        ChangeClothesEmulator,
        FashnEmulator,
        MagicHourEmulator,
    )
    from tests.docs.support import DOCS

    emulators = {
        "Magic Hour": MagicHourEmulator,
        "Change Clothes": ChangeClothesEmulator,
        "FASHN": FashnEmulator,
    }
    page = (DOCS / "testing.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| ([^|]+) \|", page, re.M))
    faults = {name for emulator in emulators.values() for name in emulator.faults}
    assert set(rows) >= faults, faults - set(rows)
    for name in faults:
        where = rows[name]
        having = {label for label, emulator in emulators.items() if name in emulator.faults}
        assert ("all" in where) == (having == set(emulators)), name
        if having != set(emulators):
            assert {label for label in emulators if label in where} == having, name
        for emulator in emulators.values():
            spec = emulator.faults.get(name)
            for param in spec.defaults if spec else ():
                assert f"`{param}`" in page, f"parameter {param} of {name} is not documented"
