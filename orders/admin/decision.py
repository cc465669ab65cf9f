"""The facts on a refund's decision pages (issue 12 §3), in a reviewer's words.

Built from `orders.selectors.refund_decision_facts`, whose amount is the one `refund_approve`
applies for the same inputs; this module only words and formats them: what was paid, what is
asked, what the rules compute and why, the vendor's statement and the buyer's evidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html, linebreaks
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from catalog.models import ReviewPeriodRule
from orders.admin.display import EMPTY, admin_link, bullet_list, china, cny, percent_text
from orders.models import FullRefundCase, PlatformRefundGround, Refund, RefundBasis
from orders.selectors import RefundDecisionFacts, refund_evidence


@dataclass
class Row:
    label: str
    value: Any
    strong: bool = False


@dataclass
class Section:
    title: str
    rows: list[Row] = field(default_factory=list)


def _text(value: str) -> SafeString | str:
    """A person's text in paragraphs (escaped), or the empty mark."""
    return mark_safe(linebreaks(value, autoescape=True)) if value.strip() else ""  # noqa: S308


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _label(choices: Any, value: str) -> str:
    return str(dict(choices.choices).get(value, value)) if value else EMPTY


def _review_period(facts: RefundDecisionFacts) -> str:
    order = facts.order
    rule = _label(ReviewPeriodRule, order.review_rule)
    if order.review_rule == ReviewPeriodRule.NONE:
        return rule
    if order.review_period_ends_at is not None:
        return _("%(rule)s, ends %(at)s") % {"rule": rule, "at": china(order.review_period_ends_at)}
    if order.review_period_closed:
        return _("%(rule)s, closed") % {"rule": rule}
    return _("%(rule)s, running until the service is confirmed") % {"rule": rule}


def why(facts: RefundDecisionFacts) -> str:
    """Which rule gives the amount, with its figures."""
    inputs, quote = facts.inputs, facts.quote
    numbers = {
        "left": cny(facts.remaining),
        "paid": cny(inputs.paid),
        "consumed": percent_text(inputs.consumed_fraction),
        "already": cny(inputs.already_refunded),
        "unconsumed": cny(facts.unconsumed),
        "entitled": cny(quote.entitled),
        "compensation": cny(inputs.compensation),
        "rule": _label(ReviewPeriodRule, inputs.review_rule),
        "ground": _label(PlatformRefundGround, inputs.platform_ground),
        "case": _label(FullRefundCase, inputs.full_refund_case),
        "percent": percent_text(inputs.vendor_terms_percent, scale=1),
    }
    unconsumed = _(
        "The unconsumed part is %(paid)s × (100%% − %(consumed)s consumed) − %(already)s "
        "already refunded = %(unconsumed)s."
    )
    texts = {
        RefundBasis.REVIEW_PERIOD: _(
            "Asked inside the review period (%(rule)s): what is left on the order, %(left)s, "
            "is refunded in full (MS-5.1)."
        ),
        RefundBasis.BEFORE_CONFIRMATION: _(
            "Asked before the service was confirmed: what is left on the order, %(left)s, is "
            "refunded in full, less the agreed compensation of %(compensation)s (MS-5.4.1)."
        ),
        RefundBasis.FULL_CASE: _(
            "A full refund case (%(case)s): what is left on the order, %(left)s, is refunded "
            "in full whatever the review period (MS-5.3)."
        ),
        RefundBasis.PLATFORM_GROUND: _(
            "Asked after the review period; the platform refunds directly on the ground "
            "%(ground)s: the unconsumed part, %(entitled)s (MS-5.2)."
        )
        + " "
        + unconsumed,
        RefundBasis.VENDOR_TERMS: _(
            "Asked after the review period; the vendor's approved refund terms apply: "
            "%(percent)s of the unconsumed part %(unconsumed)s = %(entitled)s (MS-5.7.2)."
        )
        + " "
        + unconsumed,
        RefundBasis.PRO_RATA: _(
            "Asked after the review period, with no full refund case, platform ground or "
            "approved vendor terms: the unconsumed part, pro rata, %(entitled)s (MS-5.2)."
        )
        + " "
        + unconsumed,
        RefundBasis.NOT_REFUNDABLE: _("Tool products cannot be refunded (MS-5.1)."),
    }
    return texts.get(quote.basis, _label(RefundBasis, quote.basis)) % numbers


def _terms(facts: RefundDecisionFacts) -> Any:
    terms = facts.vendor_terms
    if terms is None:
        return _(
            "No approved terms were in force when the buyer asked: after the review period "
            "the platform default applies (the unconsumed part, MS-5.2)."
        )
    return format_html(
        "{}<br>{}",
        admin_link(
            terms,
            _("%(percent)s of the unconsumed part, in force since %(since)s")
            % {
                "percent": percent_text(facts.inputs.vendor_terms_percent, scale=1),
                "since": china(terms.effective_from),
            },
        ),
        terms.text,
    )


def _vendor_answer(refund: Refund) -> str:
    if refund.status == Refund.Status.REQUESTED:
        return _("The vendor has not answered yet.")
    if refund.vendor_note:
        return _text(refund.vendor_note)
    return _("The vendor gave no statement.")


def _paid(facts: RefundDecisionFacts) -> Section:
    order = facts.order
    return Section(
        _("What was paid"),
        [
            Row(_("order"), admin_link(order, order.external_id)),
            Row(_("buyer cloud account ID"), order.buyer_account_id),
            Row(_("product"), str(order.product)),
            Row(_("vendor"), str(facts.refund.vendor)),
            Row(_("amount paid"), cny(facts.inputs.paid), strong=True),
            Row(_("paid at"), china(order.paid_at)),
            Row(_("review period"), _review_period(facts)),
            Row(
                _("already refunded or held by other refunds of this order"),
                cny(facts.inputs.already_refunded),
            ),
            Row(_("left to refund on the order"), cny(facts.remaining)),
        ],
    )


def _asked(facts: RefundDecisionFacts) -> Section:
    refund = facts.refund
    evidence = refund_evidence(refund)
    return Section(
        _("What the buyer asks"),
        [
            Row(_("amount asked"), cny(refund.amount_requested), strong=True),
            Row(_("reason"), refund.get_reason_code_display()),
            Row(_("counts against the vendor (MS-5.8)"), _yes_no(refund.counts_against_vendor)),
            Row(_("requested at"), china(refund.requested_at)),
            Row(_("asked inside the review period"), _yes_no(refund.in_review_period)),
            Row(_("buyer's description"), _text(refund.description) or EMPTY),
            Row(
                _("buyer's evidence"),
                bullet_list([(item.text, item.url) for item in evidence])
                if evidence
                else _("No evidence given."),
            ),
        ],
    )


def _rules(facts: RefundDecisionFacts) -> Section:
    inputs, quote = facts.inputs, facts.quote
    rows = [
        Row(_("amount the rules compute"), cny(quote.amount), strong=True),
        Row(_("most the rules allow on this basis"), cny(quote.entitled)),
        Row(_("basis"), _label(RefundBasis, quote.basis)),
        Row(_("why"), why(facts)),
        Row(_("consumed share"), percent_text(inputs.consumed_fraction)),
        Row(_("vendor's refund terms"), _terms(facts)),
    ]
    if inputs.compensation or quote.basis == RefundBasis.BEFORE_CONFIRMATION:
        rows.append(Row(_("agreed compensation withheld"), cny(inputs.compensation)))
    if inputs.platform_ground:
        rows.append(Row(_("MS-5.2 ground"), _label(PlatformRefundGround, inputs.platform_ground)))
    if inputs.full_refund_case:
        rows.append(Row(_("MS-5.3 case"), _label(FullRefundCase, inputs.full_refund_case)))
    return Section(_("What the rules compute"), rows)


def _vendor(facts: RefundDecisionFacts) -> Section:
    refund = facts.refund
    return Section(
        _("The vendor's statement"),
        [
            Row(_("status"), refund.get_status_display()),
            Row(_("statement"), _vendor_answer(refund)),
            Row(_("vendor's evidence"), _vendor_evidence(refund)),
        ],
    )


def _vendor_evidence(refund: Refund) -> Any:
    """Issue 13: files (authenticated file view) and links the vendor gave with its answer."""
    items = [
        (str(item), item.file.url if item.file else item.url)
        for item in refund.vendor_evidence.all()
    ]
    return bullet_list(items) if items else EMPTY


def _payment(refund: Refund) -> Section:
    return Section(
        _("What to pay back"),
        [
            Row(_("amount to pay back"), cny(refund.payable_amount), strong=True),
            Row(_("status"), refund.get_status_display()),
            Row(_("decided by"), str(refund.decided_by) if refund.decided_by else EMPTY),
            Row(_("decided at"), china(refund.decided_at)),
            Row(_("decision reason"), _text(refund.decision_reason) or EMPTY),
            Row(_("vendor's note"), _text(refund.vendor_note) or EMPTY),
        ],
    )


def _notes(facts: RefundDecisionFacts, action: str) -> list[str]:
    if action != "approve":
        return []
    notes = []
    if facts.ground_required and not facts.inputs.platform_ground:
        notes.append(
            _(
                "The vendor has not answered yet: approving now needs a MS-5.2 ground "
                "(choose one below)."
            )
        )
    if facts.quote.amount <= 0:
        notes.append(_("Nothing is due on these inputs; reject the request instead."))
    elif facts.capped_by_rules:
        notes.append(
            _("The buyer asked %(asked)s, more than the rules allow: at most %(due)s.")
            % {"asked": cny(facts.inputs.requested), "due": cny(facts.quote.entitled)}
        )
    return notes


def refund_decision(refund: Refund, action: str, facts: RefundDecisionFacts) -> dict[str, Any]:
    """The context of a refund's decision page for `action` (an admin transition name)."""
    if action == "mark_refunded":
        sections = [_payment(refund), _paid(facts)]
    else:
        sections = [_paid(facts), _asked(facts), _rules(facts), _vendor(facts)]
    return {
        "facts": facts,
        "sections": sections,
        "notes": _notes(facts, action),
        "previewable": action == "approve",
        "amount": facts.quote.amount,
        "amount_text": cny(facts.quote.amount),
    }
