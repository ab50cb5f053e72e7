import os
import sys

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


@pytest.fixture
def sp(tmp_path):
    s = harness.Sp(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def make_sp(tmp_path):
    made = []

    def make(**kw):
        d = tmp_path / ("sp%d" % len(made))
        d.mkdir()
        s = harness.Sp(d, **kw)
        made.append(s)
        return s
    yield make
    for s in made:
        s.stop()


@pytest.fixture
def browser():
    with requests.Session() as s:
        yield s
