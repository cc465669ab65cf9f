"""Record outcomes: evaluation rows and vendor notifications, in bulk (fixed query count)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from django.utils import translation

from compliance.models import RuleEvaluation, VendorNotification
from compliance.notifications import footer, render, send_emails_on_commit, vendor_contacts
from compliance.services.history import ADDED, history_copy_rows
from compliance.sweep.base import Outcome, Rule, SweepContext


def taken_keys(keys: Iterable[str]) -> set[str]:
    """Dedupe keys already recorded (one query): outcomes that happen once per subject."""
    keys = list(keys)
    if not keys:
        return set()
    return set(
        RuleEvaluation.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )


def record_outcomes(
    ctx: SweepContext, rule: Rule, outcomes: Sequence[Outcome]
) -> list[RuleEvaluation]:
    """Write the evaluations, then the notifications they carry, then queue the e-mails."""
    if not outcomes:
        return []
    evaluations = RuleEvaluation.objects.bulk_create(
        [
            RuleEvaluation(
                run=ctx.run,
                rule=rule.name,
                rule_id=rule.rule_id,
                vendor_id=o.vendor_id,
                subject_type=o.subject_type,
                subject_id=o.subject_id,
                outcome=o.outcome,
                measure_id=o.measure_id,
                measure_kind=o.measure_kind,
                figures=o.figures,
                message=o.message,
                flagged_to=o.flagged_to,
                as_of=ctx.as_of,
                dedupe_key=o.dedupe_key,
            )
            for o in outcomes
        ]
    )
    with_notice = [(o, e) for o, e in zip(outcomes, evaluations, strict=True) if o.notice]
    if not with_notice:
        return evaluations
    contacts = vendor_contacts(o.vendor_id for o, _e in with_notice if o.vendor_id)
    # Rendered once per notification, each language activated once (not once per message).
    by_language: dict[str, list[tuple[Outcome, RuleEvaluation]]] = defaultdict(list)
    for outcome, evaluation in with_notice:
        assert outcome.notice is not None and outcome.vendor_id is not None
        by_language[contacts[outcome.vendor_id][0]].append((outcome, evaluation))
    notifications = []
    for language, group in by_language.items():
        with translation.override(language):
            for outcome, evaluation in group:
                notice = outcome.notice
                assert notice is not None and outcome.vendor_id is not None
                body = render(notice.body, notice.params)
                notifications.append(
                    VendorNotification(
                        vendor_id=outcome.vendor_id,
                        rule_id=rule.rule_id,
                        evaluation=evaluation,
                        subject=render(notice.subject, notice.params)[:200],
                        body=f"{body}\n\n{footer(rule.rule_id, notice.action_required_by)}",
                        language=language,
                        action_required_by=notice.action_required_by,
                        emailed_to=",".join(contacts[outcome.vendor_id][1]),
                        dedupe_key=outcome.dedupe_key or f"evaluation:{evaluation.pk}",
                    )
                )
    notifications.sort(key=lambda n: n.evaluation.pk)  # inbox order = evaluation order
    created = VendorNotification.objects.bulk_create(notifications)
    # The inbox rows' "+" history rows, written by this bulk path itself (one query).
    history_copy_rows(
        VendorNotification,
        pks=[n.pk for n in created],
        history_type=ADDED,
        actor=None,
        reason=rule.rule_id,
    )
    send_emails_on_commit(created)
    return evaluations
