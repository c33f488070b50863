"""Shared helpers for the tinywindow tests.

The tests import the installed package (scripts/test.d/50-python.sh installs it
into a throwaway directory first); they never import python/src directly.
"""

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MVP_VECTORS = REPO / "providers" / "hmac" / "testdata" / "mvp_vectors.json"


def in_ci():
    """True under CI (CI=true), where every part the tests need must be present."""
    return os.environ.get("CI") == "true"


def need(what, how_to_get):
    """Ends a test whose real part is missing: a skip with the reason outside
    CI, a failure under CI, where a skip would hide a broken set-up."""
    if in_ci():
        pytest.fail(f"{what} is missing under CI (CI=true), where it must be present: {how_to_get}")
    pytest.skip(f"{what} is missing: {how_to_get}")


def pytest_report_header(config):
    import tinywindow

    return f"tinywindow from {Path(tinywindow.__file__).parent}"
