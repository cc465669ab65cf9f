"""Vendor-facing pages of this app (mounted in the `vendor` namespace)."""

urlpatterns: list = []
