"""Odoo-free test suite: put the module directory on sys.path.

The pure-Python rules live in ``credit_risk_addon/rules/`` and only use
relative imports, so they import as the top-level package ``rules``.
Importing ``credit_risk_addon`` itself would import Odoo: never do that here.
"""

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = REPO_ROOT / "credit_risk_addon"

# The module's rules (``rules``) and its tests' oracles (``oracles``, plain Python).
for path in (ADDON_DIR, ADDON_DIR / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))


@pytest.fixture(scope="session")
def repo_root():
    return REPO_ROOT


@pytest.fixture(scope="session")
def addon_dir():
    return ADDON_DIR
