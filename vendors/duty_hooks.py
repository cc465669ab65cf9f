"""Registers the duty pages in the vendor navigation and the agreement banner (issue 13)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from vendors import dashboard


def agreement_banner(vendor: Any) -> dashboard.Banner | None:
    """MS-3.1.4: until the vendor signs the version in force, every page asks it to."""
    from vendors.models import AgreementSignature, Vendor
    from vendors.selectors import agreement_in_force

    if vendor.status in (Vendor.Status.EXITED, Vendor.Status.EVICTED):
        return None
    version = agreement_in_force()
    if (
        version is None
        or AgreementSignature.objects.filter(vendor=vendor, version=version).exists()
    ):
        return None
    return dashboard.Banner(
        text=_(
            "Version %(version)s of the vendor access agreement is in force and your company "
            "has not signed it yet (MS-3.1.4)."
        )
        % {"version": version.version},
        url_name="vendor:agreement",
        link_label=_("Read and sign"),
    )


def register() -> None:
    dashboard.register_nav("documents", _("Documents"), "vendor:documents", order=82)
    dashboard.register_nav("agreement", _("Agreement"), "vendor:agreement", order=84)
    dashboard.register_nav("service", _("Service"), "vendor:service_commitments", order=86)
    dashboard.register_banner("agreement", agreement_banner)
