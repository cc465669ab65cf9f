"""Suite-wide pytest fixtures and markers."""

from __future__ import annotations

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # Concurrency and locking are proven on PostgreSQL; SQLite serialises writers anyway.
    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Tests read messages in English unless they switch language themselves."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()
