"""Shared fixtures. Each test sets up and tears down its own state."""

from __future__ import annotations

import pytest

from app.rules.loader import get_ruleset


@pytest.fixture(scope="session")
def ruleset():
    """The repository's rule set, loaded and validated once per test session."""
    return get_ruleset()
