"""Writing imported penalty cases: every new row or none, in one transaction, with their
history rows and "reported" log events (`bulk_create`, or `COPY` on PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from compliance.importing.reading import FileRejected
from compliance.models import CaseEvent, CaseSource, CaseStatus, PenaltyCase

BATCH = 2000


def write_rows(
    new_rows: list[dict[str, Any]],
    *,
    actor: Any,
    job: Any = None,
    reason: str,
) -> int:
    """Create every new case or none (one transaction), with its history row and its
    'reported' log event. Imported cases arrive as reported: nothing is applied.

    On PostgreSQL the three tables are filled with COPY (ids reserved from the sequence
    first); elsewhere with `bulk_create`. Either way the history rows are written explicitly.
    """
    user_id = actor.pk if getattr(actor, "pk", None) else None
    now = timezone.now()
    base = {
        "status": CaseStatus.REPORTED,
        "source": CaseSource.IMPORT,
        "created_by_id": user_id,
        "import_job_id": job.pk if job is not None else None,
        "created_at": now,
    }
    cases = [{**base, **data} for data in new_rows]
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                _write_copy(cases, user_id=user_id, now=now, reason=reason)
            else:
                _write_bulk(cases, user=actor if user_id else None, now=now, reason=reason)
    except IntegrityError as exc:
        raise FileRejected(
            _("Another import created some of these cases meanwhile; check the file again.")
        ) from exc
    return len(cases)


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    """Every column's value when the row does not give one (COPY sets no Django defaults)."""
    return {f.attname: f.get_default() for f in model._meta.concrete_fields if not f.primary_key}


def _write_bulk(cases: list[dict[str, Any]], *, user: Any, now: dt.datetime, reason: str):
    for start in range(0, len(cases), BATCH):
        created = PenaltyCase.objects.bulk_create(
            [PenaltyCase(**data) for data in cases[start : start + BATCH]]
        )
        if created and created[0].pk is None:  # backends that return no keys
            by_ref = dict(
                PenaltyCase.objects.filter(
                    reference__in=[c.reference for c in created]
                ).values_list("reference", "pk")
            )
            for case in created:
                case.pk = by_ref[case.reference]
        PenaltyCase.history.bulk_history_create(
            created, default_user=user, default_change_reason=reason, default_date=now
        )
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(
                    case_id=case.pk,
                    action="report",
                    actor=user,
                    at=now,
                    reason=reason,
                    from_status="",
                    to_status=CaseStatus.REPORTED,
                )
                for case in created
            ]
        )


def _copy(cursor: Any, model: type[models.Model], columns: list[str], rows: Iterable[tuple]):
    fields = {f.attname: f.column for f in model._meta.concrete_fields}
    names = ", ".join(connection.ops.quote_name(fields[c]) for c in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _write_copy(cases: list[dict[str, Any]], *, user_id: Any, now: dt.datetime, reason: str):
    """PostgreSQL: COPY the cases, their history rows and their log events."""
    import json

    n = len(cases)
    with connection.cursor() as wrapper:
        wrapper.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [PenaltyCase._meta.db_table, n],
        )
        ids = [row[0] for row in wrapper.fetchall()]
        cursor = wrapper.cursor  # the psycopg cursor, in Django's transaction
        defaults = _defaults(PenaltyCase)
        columns = ["id", *defaults]
        row_of = operator.itemgetter(*columns)
        values = [
            row_of({**defaults, **case, "id": pk}) for case, pk in zip(cases, ids, strict=True)
        ]
        _copy(cursor, PenaltyCase, columns, values)
        # The history row repeats every tracked column (the same ones) plus who / when / why.
        history = PenaltyCase.history.model
        tracked = [f.attname for f in history.tracked_fields]  # type: ignore[attr-defined]
        assert tracked == columns or set(tracked) == set(columns), "history tracks every field"
        if tracked != columns:
            order = operator.itemgetter(*(columns.index(c) for c in tracked))
            values = [order(v) for v in values]
        extra = (now, reason, "+", user_id)
        _copy(
            cursor,
            history,
            [*tracked, "history_date", "history_change_reason", "history_type", "history_user_id"],
            (v + extra for v in values),
        )
        details = json.dumps({})
        _copy(
            cursor,
            CaseEvent,
            [
                "case_id",
                "action",
                "actor_id",
                "at",
                "reason",
                "from_status",
                "to_status",
                "details",
            ],
            ((pk, "report", user_id, now, reason, "", CaseStatus.REPORTED, details) for pk in ids),
        )
