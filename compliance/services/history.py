# ruff: noqa: S608 -- SQL built from the models' meta (quoted identifiers); values are parameters
"""History rows for set-based writes, copied in SQL from the rows as they now are.

DESIGN: bulk writes on audited models are allowed only where the bulk path writes the history
rows itself. simple-history's bulk helpers build one historical model instance per row in
Python, which dominates a sweep acting on thousands of rows. `history_copy_rows` writes the
same rows (every tracked field, `history_date`, `history_user`, `history_change_reason`,
`history_type`) with ONE `INSERT … SELECT` from the model's table, after the write, in the
same transaction: a history row is exactly the stored row, whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.utils import timezone

HISTORY_FIELDS = ("history_date", "history_change_reason", "history_type", "history_user")
ADDED, CHANGED = "+", "~"


def history_copy_rows(
    model: type[models.Model],
    *,
    pks: Iterable[Any],
    history_type: str,
    actor: Any,
    reason: str,
    at: dt.datetime | None = None,
) -> int:
    """Append one history row per primary key in `pks`, copied from the current row.

    `history_type` is "+" for rows just created, "~" for rows just changed; `actor` None is
    the system (the reason then names the rule). Returns the number of history rows written.
    One query (none when `pks` is empty or history is disabled, as simple-history does).
    """
    ids = sorted(set(pks))
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return 0
    history = model.history.model  # type: ignore[attr-defined]
    hmeta = history._meta
    copied = [(hmeta.get_field(f.name).column, f.column) for f in history.tracked_fields]
    written = {column for column, _src in copied} | {
        hmeta.get_field(name).column for name in HISTORY_FIELDS
    }
    missing = [
        f.name for f in hmeta.concrete_fields if not f.primary_key and f.column not in written
    ]
    if missing:  # a custom history field this copy would leave empty: fail loudly
        raise ValueError(f"history_copy_rows: no value for {history.__name__}.{missing}")
    qn = connection.ops.quote_name
    user_id = actor.pk if getattr(actor, "pk", None) else None
    moment = at or timezone.now()
    params: list[Any] = [
        hmeta.get_field("history_date").get_db_prep_value(moment, connection),
        reason,
        history_type,
        user_id,
    ]
    if connection.vendor == "postgresql":
        where = f"{qn(model._meta.pk.column)} = ANY(%s)"  # one array parameter
        params.append(ids)
    else:
        where = f"{qn(model._meta.pk.column)} IN ({', '.join(['%s'] * len(ids))})"
        params.extend(ids)
    columns = [column for column, _src in copied] + [
        hmeta.get_field(name).column for name in HISTORY_FIELDS
    ]
    sql = (
        f"INSERT INTO {qn(hmeta.db_table)} ({', '.join(map(qn, columns))}) "
        f"SELECT {', '.join(qn(src) for _col, src in copied)}, %s, %s, %s, %s "
        f"FROM {qn(model._meta.db_table)} WHERE {where} "
        f"ORDER BY {qn(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
