"""What compliance adds to the lower apps without them importing it (called from
`ComplianceConfig.ready()`): the vendor navigation link and the deposit exit check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from compliance.selectors import penalty_exit_reasons
    from vendors import dashboard, exit_checks

    dashboard.register_nav("compliance", _("Penalties"), "vendor:compliance_cases", order=60)
    exit_checks.register(penalty_exit_reasons)  # MS-3.1.5 ④ no unexecuted penalty
    _register_vendor_admin_links()


def _register_vendor_admin_links() -> None:
    """MS-8.3 / MS-7: the vendor admin page evicts only through a penalty case (proposal, then
    a second compliance lead's approval); these buttons lead there."""
    from django.urls import reverse

    from vendors.admin import links
    from vendors.models import Vendor

    links.register(
        links.VendorLink(
            "propose-eviction",
            _("Evict or ban: open a penalty case"),
            url=lambda v: reverse("admin:compliance_penaltycase_add") + f"?vendor={v.pk}",
            permission="compliance.add_penaltycase",
            allowed=lambda v: v.status != Vendor.Status.EVICTED,
            danger=True,
        )
    )
    links.register(
        links.VendorLink(
            "penalty-cases",
            _("Penalty cases"),
            url=lambda v: reverse("admin:compliance_penaltycase_changelist")
            + f"?vendor__id__exact={v.pk}",
            permission="compliance.view_penaltycase",
        )
    )
