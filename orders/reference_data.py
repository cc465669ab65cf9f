"""Reference data of the orders app (see marketplace.reference_data): the one row of
`RefDataStamp`, the stamp of the order API's reference-data cache (orders.refdata), loaded by
migration 0004. Its value is random; an existing row keeps its value.

Takes the historical app registry from a migration and the real one otherwise.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.apps import apps as global_apps

from orders.models.refdata import STAMP_PK


def load_reference_data(apps: Any = None, *, using: str = "default") -> None:
    apps = apps if apps is not None else global_apps
    RefDataStamp = apps.get_model("orders", "RefDataStamp")
    RefDataStamp._default_manager.using(using).get_or_create(
        pk=STAMP_PK, defaults={"value": uuid.uuid4().hex}
    )
