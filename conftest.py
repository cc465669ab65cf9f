"""Suite-wide pytest fixtures and markers."""

from __future__ import annotations

import pytest
from django.db import connection


def pytest_collection_modifyitems(config, items):
    # Transactional tests flush every table, and with them the rows that data migrations load
    # (role groups, categories, deposit tiers, kind policies, the violation table). Restoring
    # the serialized database after each of them, and for all of them, keeps those rows and
    # keeps flushes from re-running post_migrate into rows the restore then duplicates.
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            kwargs = {**marker.kwargs, "serialized_rollback": True}
            item.add_marker(pytest.mark.django_db(*marker.args, **kwargs), append=False)
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


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Each test starts with empty process caches: throttle history (Django's local-memory
    cache) and the order API's reference data are keyed by primary keys, which a rolled-back
    or flushed database hands out again to the next test's rows."""
    from django.core.cache import cache

    from orders import refdata

    cache.clear()
    refdata.clear()
    yield


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """Uploads go to a directory of the test's own, never the checkout's `media/`: a file left
    by an earlier test would make the storage rename the next upload of the same name."""
    settings.MEDIA_ROOT = tmp_path / "media"
