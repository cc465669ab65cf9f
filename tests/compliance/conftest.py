"""Fixtures of the compliance tests: uploads and import files go to a temporary media root."""

import pytest


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def violation_table():
    """The violation table of the data migration, reloaded if a transactional test flushed it
    (loading is idempotent)."""
    from importlib import import_module

    from django.apps import apps

    import_module("compliance.migrations.0004_violation_table").load(apps, None)
