"""What compliance adds to the lower apps without them importing it (called from
`ComplianceConfig.ready()`): the vendor navigation link and the deposit exit check."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


def register() -> None:
    from compliance.selectors import penalty_exit_reasons
    from vendors import dashboard, exit_checks

    dashboard.register_nav("compliance", _("Penalties"), "vendor:compliance_cases", order=60)
    from compliance import dashboard as compliance_dashboard

    compliance_dashboard.register()  # issue 13: home panels, inbox and restrictions links
    exit_checks.register(penalty_exit_reasons)  # MS-3.1.5 ④ no unexecuted penalty
    _register_effective_state()
    from vendors import deduction_refs
    from vendors.models import DeductionCause

    deduction_refs.register(DeductionCause.VIOLATION, violation_deduction_refusal)
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
            url=lambda v: (
                reverse("admin:compliance_penaltycase_changelist") + f"?vendor__id__exact={v.pk}"
            ),
            permission="compliance.view_penaltycase",
        )
    )


def violation_deduction_refusal(vendor, reference: str, amount) -> str | None:
    """MS-3.1.5 ② / MS-7: a deduction for a violation names a penalty case of this vendor and
    carries out that case's deduction measure, approved by a second compliance lead and not
    yet carried out. So no one person deducts for a violation, from any page."""
    from compliance.models import AppliedMeasure, MeasureKind, PenaltyCase

    if not PenaltyCase.objects.filter(reference=reference, vendor_id=vendor.pk).exists():
        return str(_("there is no penalty case %(reference)s of this vendor.")) % {
            "reference": reference
        }
    approved = AppliedMeasure.objects.filter(
        penalty_case__reference=reference,
        vendor_id=vendor.pk,
        kind=MeasureKind.DEDUCT_DEPOSIT,
        amount=amount,
        awaiting_approval=False,
        approved_by__isnull=False,
        lifted_at__isnull=True,
        executed_at__isnull=True,
    )
    if not approved.exists():
        return str(
            _(
                "a violation deduction is made only by carrying out its penalty case's "
                "deduction measure, once a second compliance lead approved it."
            )
        )
    return None


def _register_effective_state() -> None:
    """Issue 9 §5: the vendor pages show the effective state. The home page's status card
    lists the measures in force (and knows when they hide every product); the product pages
    name the measures hiding a product instead of their codes."""
    from catalog import visibility
    from compliance.models import MeasureKind
    from vendors import dashboard

    dashboard.register_state_notes("compliance", measures_in_force_notes)
    visibility.register_reason_labels(dict(MeasureKind.choices))


def measures_in_force_notes(vendor) -> list:
    """The vendor's measures in force now, oldest first, each with its start and end (China
    time); one query scoped to `vendor`."""
    from django.utils import timezone

    from compliance.models import HIDE_ALL_PRODUCTS, AppliedMeasure
    from marketplace.timeutils import china_date
    from vendors.dashboard import StateNote

    if vendor is None or getattr(vendor, "pk", None) is None:
        return []
    notes = []
    measures = (
        AppliedMeasure.objects.in_force(timezone.now())
        .filter(vendor=vendor)
        .select_related("product")
        .order_by("starts_at", "pk")
    )
    for m in measures:
        params = {
            "measure": m.get_kind_display(),
            "since": china_date(m.starts_at).isoformat(),
            "until": china_date(m.ends_at).isoformat() if m.ends_at else "",
            "product": m.product.title if m.product_id else "",
        }
        if m.product_id and m.ends_at:
            text = _("%(measure)s (%(product)s): since %(since)s, until %(until)s") % params
        elif m.product_id:
            text = _("%(measure)s (%(product)s): since %(since)s, until lifted") % params
        elif m.ends_at:
            text = _("%(measure)s: since %(since)s, until %(until)s") % params
        else:
            text = _("%(measure)s: since %(since)s, until lifted") % params
        notes.append(StateNote(text=text, hides_products=m.kind in HIDE_ALL_PRODUCTS))
    return notes
