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


_TRANSACTIONAL_FIXTURES = ("transactional_db", "live_server", "django_db_reset_sequences")


def _is_transactional(request) -> bool:
    """As pytest-django decides it (its `_django_db_helper`): `django_db(transaction=True)`
    or `reset_sequences=True` (also given positionally), or a transactional fixture."""
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        args = dict(zip(("transaction", "reset_sequences"), marker.args, strict=False))
        args.update(marker.kwargs)
        if args.get("transaction") or args.get("reset_sequences"):
            return True
    return any(name in request.fixturenames for name in _TRANSACTIONAL_FIXTURES)


@pytest.fixture(autouse=True)
def _reference_data(request, django_db_blocker):
    """Transactional tests get the reference data the data migrations load.

    Each transactional test flushes every table when it ends (pytest-django runs them after
    the others), which re-sends post_migrate (content types, permissions, role groups:
    marketplace.roles) but not the data migrations. So before each one, after its database
    is set up, every app's idempotent `load_reference_data()` puts back the categories and
    deposit tiers, the first agreement, kind policies and fee rate, the order API's stamp and
    the violation table (see marketplace.reference_data). Other tests run inside a
    rolled-back transaction on the migrated database and already have them.
    """
    if _is_transactional(request):
        request.getfixturevalue("_django_db_helper")
        from marketplace.reference_data import load_every_app

        with django_db_blocker.unblock():
            load_every_app()


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
