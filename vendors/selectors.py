"""Reads about vendors, including the scoping every vendor-facing page and endpoint uses."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied

from vendors.models import Vendor


def vendor_for_user(*, user: Any) -> Vendor:
    """The one vendor a vendor staff user acts for; anyone else is refused.

    Every vendor view calls this first and scopes all its queries to the result (isolation).
    """
    staff = (
        getattr(user, "vendor_staff", None) if getattr(user, "is_authenticated", False) else None
    )
    if staff is None:
        raise PermissionDenied
    return staff.vendor
