"""Fixtures of the compliance tests (uploads go to a temporary media root: see conftest.py)."""

import pytest


@pytest.fixture
def violation_table():
    """The violation table of the data migration, reloaded if a transactional test flushed it
    (loading is idempotent)."""
    from importlib import import_module

    from django.apps import apps

    import_module("compliance.migrations.0004_violation_table").load(apps, None)
