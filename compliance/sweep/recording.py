"""Record outcomes: evaluation rows and vendor notifications, in bulk (fixed query count)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from compliance.models import RuleEvaluation, VendorNotification
from compliance.notifications import NoticeRenderer, send_emails_on_commit, vendor_contacts
from compliance.services.history import ADDED, history_copy_rows
from compliance.sweep.base import Outcome, Rule, SweepContext
from compliance.sweep.bulk import insert_rows


def taken_keys(keys: Iterable[str]) -> set[str]:
    """Dedupe keys already recorded (one query): outcomes that happen once per subject."""
    keys = list(keys)
    if not keys:
        return set()
    return set(
        RuleEvaluation.objects.filter(dedupe_key__in=keys).values_list("dedupe_key", flat=True)
    )


EVALUATION_FIELDS = (
    "run_id",
    "rule",
    "rule_id",
    "vendor_id",
    "subject_type",
    "subject_id",
    "outcome",
    "measure_id",
    "measure_kind",
    "figures",
    "message",
    "flagged_to",
    "as_of",
    "dedupe_key",
)
NOTIFICATION_FIELDS = (
    "vendor_id",
    "rule_id",
    "evaluation_id",
    "subject",
    "body",
    "language",
    "action_required_by",
    "emailed_to",
    "dedupe_key",
)


def record_outcomes(ctx: SweepContext, rule: Rule, outcomes: Sequence[Outcome]) -> list[int]:
    """Write the evaluations, then the notifications they carry with their "+" history rows,
    then queue the e-mails; returns the evaluations' primary keys, in outcome order.

    Fixed query count: evaluations and notifications are each inserted in one go
    (`insert_rows`: COPY on PostgreSQL), the history rows copied in one `INSERT … SELECT`.
    """
    if not outcomes:
        return []
    run_id = ctx.run.pk if ctx.run is not None else None
    rule_name, rule_id = str(rule.name), rule.rule_id
    evaluation_ids = insert_rows(
        RuleEvaluation,
        EVALUATION_FIELDS,
        [
            (
                run_id,
                rule_name,
                rule_id,
                o.vendor_id,
                o.subject_type,
                o.subject_id,
                str(o.outcome),
                o.measure_id,
                str(o.measure_kind),
                o.figures,
                o.message,
                o.flagged_to,
                ctx.as_of,
                o.dedupe_key,
            )
            for o in outcomes
        ],
    )
    with_notice = [
        (o, pk) for o, pk in zip(outcomes, evaluation_ids, strict=True) if o.notice is not None
    ]
    if not with_notice:
        return evaluation_ids
    contacts = vendor_contacts(o.vendor_id for o, _pk in with_notice if o.vendor_id)
    # Rendered per language: each template translated once, then only `%`-substituted.
    by_language: dict[str, list[tuple[Outcome, int]]] = defaultdict(list)
    for outcome, pk in with_notice:
        assert outcome.vendor_id is not None
        by_language[contacts[outcome.vendor_id][0]].append((outcome, pk))
    rows = []
    for language, group in by_language.items():
        renderer = NoticeRenderer(language)
        for outcome, pk in group:
            notice = outcome.notice
            assert notice is not None and outcome.vendor_id is not None
            body = renderer.render(notice.body, notice.params)
            due = notice.action_required_by
            rows.append(
                (
                    outcome.vendor_id,
                    rule_id,
                    pk,
                    renderer.render(notice.subject, notice.params)[:200],
                    f"{body}\n\n{renderer.footer(rule_id, due)}",
                    language,
                    due,
                    ",".join(contacts[outcome.vendor_id][1]),
                    outcome.dedupe_key or f"evaluation:{pk}",
                )
            )
    rows.sort(key=lambda row: row[2])  # inbox order = evaluation order
    notification_ids = insert_rows(VendorNotification, NOTIFICATION_FIELDS, rows)
    # The inbox rows' "+" history rows, written by this bulk path itself (one query).
    history_copy_rows(
        VendorNotification,
        pks=notification_ids,
        history_type=ADDED,
        actor=None,
        reason=rule_id,
    )
    send_emails_on_commit([(row[3], row[4], row[7]) for row in rows])
    return evaluation_ids
