"""Reads about vendors, including the scoping every vendor-facing page and endpoint uses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import DecimalField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from marketplace.money import ZERO, to_money
from marketplace.timeutils import china_date
from marketplace.workcalendar import WorkCalendar
from vendors.identity import normalise_identity
from vendors.models import (
    AgreementSignature,
    AgreementVersion,
    BannedIdentity,
    Category,
    CheckResult,
    DepositEntry,
    DepositTier,
    OnboardingApplication,
    TopUpObligation,
    Vendor,
    VendorDocument,
)
from vendors.models.onboarding import EXPIRY_WARNING_DAYS


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


# --- scoping selectors for vendor pages (isolation) -------------------------------------------


def applications_for_vendor(*, user: Any) -> QuerySet[OnboardingApplication]:
    return OnboardingApplication.objects.filter(vendor=vendor_for_user(user=user))


def documents_for_vendor(*, user: Any) -> QuerySet[VendorDocument]:
    return VendorDocument.objects.filter(vendor=vendor_for_user(user=user))


def deposit_entries_for_vendor(*, user: Any) -> QuerySet[DepositEntry]:
    return DepositEntry.objects.filter(vendor=vendor_for_user(user=user)).select_related("reverses")


# --- bans (MS-8.3) ----------------------------------------------------------------------------


def banned_identities(*, credit_code: str = "", cloud_account_id: str = "") -> list[BannedIdentity]:
    """Bans matching a credit code or a cloud account (either may be empty)."""
    # MS-8.3: compared in canonical form, whatever width or case the applicant typed.
    credit_code = normalise_identity("credit_code", credit_code)
    cloud_account_id = normalise_identity("cloud_account_id", cloud_account_id)
    query = Q(pk__in=[])
    if credit_code:
        query |= Q(kind=BannedIdentity.Kind.CREDIT_CODE, value=credit_code)
    if cloud_account_id:
        query |= Q(kind=BannedIdentity.Kind.CLOUD_ACCOUNT, value=cloud_account_id)
    return list(BannedIdentity.objects.filter(query))


# --- documents (MS-6.1.1) ---------------------------------------------------------------------


def documents_expiring(
    *, on: dt.date | None = None, within_days: int = EXPIRY_WARNING_DAYS
) -> QuerySet[VendorDocument]:
    """Current documents already expired or expiring within `within_days` of `on` (MS-6.1.1).

    Set-based (one query whatever the number of vendors): the sweep and the admin use it.
    `on` is a China day; it defaults to today in China.
    """
    on = on or china_date(timezone.now())
    return (
        VendorDocument.objects.filter(
            replaced_at__isnull=True, valid_until__lte=on + dt.timedelta(days=within_days)
        )
        .select_related("vendor")
        .order_by("valid_until", "pk")
    )


# --- the deposit (MS-3.1.5) -------------------------------------------------------------------


_MONEY = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class DepositPosition:
    balance: Decimal
    owed: Decimal
    required: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(self.required - self.balance, ZERO)

    @property
    def whole(self) -> bool:
        """The deposit covers the required amount and nothing is owed (MS-3.1.5 ③)."""
        return self.shortfall == ZERO and self.owed <= ZERO

    @property
    def to_top_up(self) -> Decimal:
        return self.shortfall + max(self.owed, ZERO)


def _sums(vendor_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    rows = (
        DepositEntry.objects.filter(vendor_id__in=list(vendor_ids))
        .values("vendor_id")
        .annotate(
            balance=Coalesce(Sum("delta"), Value(ZERO), output_field=_MONEY),
            owed=Coalesce(Sum("owed_delta"), Value(ZERO), output_field=_MONEY),
        )
        .order_by()
    )
    return {r["vendor_id"]: (to_money(r["balance"]), to_money(r["owed"])) for r in rows}


def deposit_balance(vendor: Vendor) -> Decimal:
    """The deposit held: the sum of the ledger's entries (one aggregate query)."""
    total = DepositEntry.objects.filter(vendor=vendor).aggregate(
        balance=Coalesce(Sum("delta"), Value(ZERO), output_field=_MONEY)
    )["balance"]
    return to_money(total)


def deposit_owed(vendor: Vendor) -> Decimal:
    """What deductions could not take from the deposit and the vendor still owes."""
    total = DepositEntry.objects.filter(vendor=vendor).aggregate(
        owed=Coalesce(Sum("owed_delta"), Value(ZERO), output_field=_MONEY)
    )["owed"]
    return to_money(total)


def deposit_balances(*, vendor_ids: Iterable[int]) -> dict[int, tuple[Decimal, Decimal]]:
    """(balance, owed) per vendor id, in one query; vendors without entries are absent."""
    return _sums(vendor_ids)


def required_deposits(*, vendor_ids: Iterable[int], on: dt.date) -> dict[int, Decimal]:
    """MS-3.1.5 ①: per vendor, the highest tier in force on `on` among its categories.

    One query for any number of vendors; a vendor without categories requires nothing.
    """
    ids = list(vendor_ids)
    rows = (
        DepositTier.objects.filter(category__vendors__in=ids, effective_from__lte=on)
        .values_list("category__vendors", "category_id", "amount")
        .order_by("category__vendors", "category_id", "-effective_from")
    )
    latest: dict[tuple[int, int], Decimal] = {}
    for vendor_id, category_id, amount in rows:
        latest.setdefault((vendor_id, category_id), amount)  # first row = latest tier in force
    required = dict.fromkeys(ids, ZERO)
    for (vendor_id, _category_id), amount in latest.items():
        required[vendor_id] = max(required[vendor_id], to_money(amount))
    return required


def required_deposit(vendor: Vendor, on: dt.date | None = None) -> Decimal:
    """MS-3.1.5 ①: the deposit `vendor` owes on the China day `on` (default today)."""
    on = on or china_date(timezone.now())
    return required_deposits(vendor_ids=[vendor.pk], on=on)[vendor.pk]


def deposit_position(vendor: Vendor, on: dt.date | None = None) -> DepositPosition:
    balance, owed = _sums([vendor.pk]).get(vendor.pk, (ZERO, ZERO))
    return DepositPosition(balance=balance, owed=owed, required=required_deposit(vendor, on))


def open_obligations(vendor: Vendor | None = None) -> QuerySet[TopUpObligation]:
    """Open top-up obligations (MS-3.1.5 ③), earliest due first; all vendors when None."""
    qs = TopUpObligation.objects.filter(closed_at__isnull=True).select_related("vendor")
    if vendor is not None:
        qs = qs.filter(vendor=vendor)
    return qs.order_by("due_at", "pk")


def overdue_obligations(*, at: dt.datetime) -> QuerySet[TopUpObligation]:
    """Open obligations whose due time has passed at `at` (for the sweep; one query)."""
    return open_obligations().filter(due_at__lt=at)


# --- deadlines in working days (MS-3.1.5 ③ ④), as the admin shows them -----------------------


@dataclass(frozen=True)
class DeadlineStatus:
    """Where a deadline stands at a moment, counted in working days in China time.

    `working_days` is the number of working days left after today up to the due day (0: due
    today), or, once overdue, the working days after the due day up to today. `estimate` is
    true when a day counted lies in a year whose working calendar nobody confirmed.
    """

    due_at: dt.datetime
    due_day: dt.date
    overdue: bool
    working_days: int
    estimate: bool


def deadline_status(
    due_at: dt.datetime, *, now: dt.datetime, calendar: WorkCalendar | None = None
) -> DeadlineStatus:
    calendar = calendar or WorkCalendar()
    today = china_date(now)
    due_day = china_date(due_at)
    overdue = now > due_at
    if overdue:
        days = calendar.working_days_between(due_day, today) if today > due_day else 0
        first, last = due_day, today
    else:
        days = calendar.working_days_between(today, due_day) if due_day > today else 0
        first, last = today, due_day
    estimate = any(not calendar.is_covered(year) for year in range(first.year, last.year + 1))
    return DeadlineStatus(due_at, due_day, overdue, days, estimate)


def deadline_statuses(
    rows: Iterable[Any], *, now: dt.datetime, field: str = "due_at"
) -> dict[int, DeadlineStatus]:
    """Per row pk, where its `field` deadline stands; one calendar (two queries) for all rows.

    Rows without a due time are left out.
    """
    calendar = WorkCalendar()
    return {
        row.pk: deadline_status(getattr(row, field), now=now, calendar=calendar)
        for row in rows
        if getattr(row, field) is not None
    }


# --- one vendor's deposit, as finance sees it before recording an entry -----------------------


@dataclass(frozen=True)
class RequiredTier:
    """The tier that sets a vendor's required deposit (MS-3.1.5 ①): the highest in force."""

    category: Category
    amount: Decimal
    effective_from: dt.date


# Vendors whose cooperation is over: no tier to keep topped up, only what is owed (MS-3.1.5 ④,
# MS-8.3). The issue 13 symptom "¥6,300 to top up after a ban" came from keeping the tier.
ENDED_STATUSES = frozenset({Vendor.Status.EXITED, Vendor.Status.EVICTED})


@dataclass(frozen=True)
class DepositSummary:
    """The deposit figures of one vendor, the ONE source of the admin's and the vendor's
    pages (issue 13: the two must never disagree; tests/vendors/test_dashboard_figures.py).

    - `balance`: the ledger's sum; `owed`: what deductions could not take (MS-3.1.5 ②);
    - `required`: the highest tier in force (MS-3.1.5 ①), zero once the cooperation ended;
    - `shortfall`: `required - balance` when positive; `to_top_up`: shortfall + owed, the
      one "still to top up" figure (an obligation's `amount_due` is the shortfall when it
      opened, history, never summed into what is still due);
    - `next_due`: the earliest open obligation's deadline in working days (MS-3.1.5 ③),
      `estimate` when the calendar of a year counted is unconfirmed (provisional).
    """

    vendor: Vendor
    position: DepositPosition
    tier: RequiredTier | None
    obligations: list[tuple[TopUpObligation, DeadlineStatus]]

    @property
    def ended(self) -> bool:
        return self.vendor.status in ENDED_STATUSES

    @property
    def balance(self) -> Decimal:
        return self.position.balance

    @property
    def owed(self) -> Decimal:
        return max(self.position.owed, ZERO)

    @property
    def required(self) -> Decimal:
        return ZERO if self.ended else self.position.required

    @property
    def shortfall(self) -> Decimal:
        return max(self.required - self.balance, ZERO)

    @property
    def to_top_up(self) -> Decimal:
        return self.shortfall + self.owed

    @property
    def next_due(self) -> DeadlineStatus | None:
        if self.ended or not self.obligations:
            return None
        return self.obligations[0][1]

    @property
    def provisional(self) -> bool:
        due = self.next_due
        return due is not None and (due.estimate or self.obligations[0][0].provisional)

    @property
    def shortfall_without_deadline(self) -> bool:
        """Short of the tier with no open obligation: the first deposit is not (fully) paid
        or a higher tier came into force; no 7-working-day clock runs (MS-3.1.5 ③ counts
        from a deduction)."""
        return self.to_top_up > ZERO and not self.obligations and not self.ended


def required_tier(vendor: Vendor, on: dt.date | None = None) -> RequiredTier | None:
    """Which category's tier sets the required deposit on `on` (None: no category chosen)."""
    on = on or china_date(timezone.now())
    tiers = (
        DepositTier.objects.filter(category__vendors=vendor, effective_from__lte=on)
        .select_related("category")
        .order_by("category_id", "-effective_from")
    )
    latest: dict[int, DepositTier] = {}
    for tier in tiers:
        latest.setdefault(tier.category_id, tier)  # first row per category = in force on `on`
    if not latest:
        return None
    best = max(latest.values(), key=lambda t: (t.amount, -t.category_id))
    return RequiredTier(best.category, to_money(best.amount), best.effective_from)


def deposit_summary(vendor: Vendor, *, now: dt.datetime | None = None) -> DepositSummary:
    """Balance, required amount (and its tier), amount owed and open top-up obligations."""
    now = now or timezone.now()
    today = china_date(now)
    obligations = list(open_obligations(vendor))
    statuses = deadline_statuses(obligations, now=now)
    return DepositSummary(
        vendor=vendor,
        position=deposit_position(vendor, today),
        tier=required_tier(vendor, today),
        obligations=[(ob, statuses[ob.pk]) for ob in obligations],
    )


# --- duties (issue 13) ------------------------------------------------------------------------


def agreement_in_force(on: dt.date | None = None) -> AgreementVersion | None:
    """MS-3.1.4: the agreement version in force on `on` (China date): the latest effective."""
    on = on or china_date(timezone.now())
    return (
        AgreementVersion.objects.filter(effective_from__lte=on)
        .order_by("-effective_from", "-pk")
        .first()
    )


def agreement_signature(*, vendor: Vendor, version: AgreementVersion | None):
    """The vendor's signature of `version`, or None (MS-3.1.4)."""
    if version is None:
        return None
    return (
        AgreementSignature.objects.filter(vendor=vendor, version=version)
        .select_related("signed_by")
        .first()
    )


def replacements_awaiting_review() -> QuerySet[VendorDocument]:
    """MS-6.1.1: current replacement documents no reviewer has decided yet (work board)."""
    return VendorDocument.objects.filter(
        is_replacement=True, replaced_at__isnull=True, review_result=CheckResult.PENDING
    )


# --- exit (MS-8) ------------------------------------------------------------------------------


def exit_outstanding(vendor: Vendor) -> list[str]:
    """Everything that still blocks the deposit refund (MS-3.1.5 ④): this app's own checks
    and the higher apps' (`vendors.exit_checks`); the deposit balance itself is not counted
    (refunding it is the step that follows)."""
    from django.utils.translation import gettext as _

    from vendors import exit_checks

    reasons: list[str] = []
    if TopUpObligation.objects.filter(vendor=vendor, closed_at__isnull=True).exists():
        reasons.append(_("A top-up obligation is still open."))
    position = deposit_position(vendor)
    if position.owed > 0:
        reasons.append(
            _("The vendor still owes ¥%(owed)s beyond its deposit.") % {"owed": position.owed}
        )
    reasons.extend(exit_checks.outstanding_reasons(vendor))
    return reasons


def exit_for_vendor(*, user: Any):
    """The vendor user's own latest exit (any state), or None (isolation: scoped by user)."""
    from vendors.models import VendorExit

    return VendorExit.objects.filter(vendor=vendor_for_user(user=user)).order_by("-pk").first()


@dataclass(frozen=True)
class ExitStep:
    label: Any
    done: bool
    current: bool


@dataclass(frozen=True)
class ExitProgress:
    """What the finance page and the vendor's exit page show (one builder for both)."""

    steps: list[ExitStep]
    lines: list[Any]
    deposit_text: str
    outstanding: list[str]


def exit_progress_for(exit_: Any) -> ExitProgress:
    from django.utils.translation import gettext as _

    from marketplace.money import format_cny
    from vendors import exit_progress
    from vendors.models import DepositRefund, VendorExit

    S = VendorExit.Status
    order = [S.STARTED, S.ORDERS_REFUNDED, S.SETTLED, S.DEPOSIT_REFUNDED, S.CLOSED]
    at = order.index(exit_.status) if exit_.status in order else -1
    steps = [
        ExitStep(
            label=VendorExit.Status(s).label,
            done=i < at or exit_.status == S.CLOSED,
            current=i == at and exit_.status != S.CLOSED,
        )
        for i, s in enumerate(order)
    ]
    vendor = exit_.vendor
    position = deposit_position(vendor)
    refund = DepositRefund.objects.filter(vendor=vendor).first()
    if refund is not None:
        deposit_text = str(refund.get_status_display())
        if refund.status == DepositRefund.Status.COMPLETED and refund.entry_id:
            deposit_text += " · " + format_cny(refund.entry.amount)
        elif refund.due_at:
            deposit_text += " · " + _("due by %(day)s") % {"day": china_date(refund.due_at)}
    elif position.balance > 0:
        deposit_text = _("Held: %(amount)s, refunded once nothing is outstanding") % {
            "amount": format_cny(position.balance)
        }
    else:
        deposit_text = _("No deposit left to refund")
    outstanding = exit_outstanding(vendor) if exit_.status in VendorExit.IN_PROGRESS else []
    return ExitProgress(
        steps=steps,
        lines=exit_progress.lines(exit_),
        deposit_text=deposit_text,
        outstanding=outstanding,
    )


def begun_exit(vendor: Vendor):
    """The vendor's exit once it has begun (MS-8.4.3: read only, after-sales duty), or None."""
    from vendors.models import VendorExit

    return (
        VendorExit.objects.filter(vendor=vendor, status__in=VendorExit.BEGUN)
        .order_by("-pk")
        .first()
    )
