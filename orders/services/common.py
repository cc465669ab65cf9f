# ruff: noqa: S608 -- SQL built from the models' meta (quoted identifiers); values are parameters
"""Helpers shared by the orders services: the API caller in the audit reason, the
one-statement insert with its history row, and precompiled lookups."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, models
from django.db.models import QuerySet
from django.utils import timezone

from orders.models import ServiceAccount


def split_api_caller(actor: Any) -> tuple[Any, Any]:
    """(service account, person) of a service's `actor`.

    Every service takes `actor=`: a person (admin, vendor page) or the REST API's service
    account, which the API view authenticated and scoped. History rows name a person as
    their user; a service account is no user, so it is named in the reason instead
    (`reason_with_caller`) and the row's user stays empty.
    """
    if isinstance(actor, ServiceAccount):
        return actor, None
    return None, actor


def reason_with_caller(reason: str, caller: Any) -> str:
    """History reason for API calls: the user is None, so name the service account."""
    return f"[api:{caller}] {reason}" if caller is not None else reason


# simple-history's own columns of a historical row, filled from the audit arguments.
_HISTORY_OWN = ("history_date", "history_change_reason", "history_type", "history_user")
_insert_sql: dict[tuple[type[models.Model], tuple[str, ...], str], tuple[str, list, list]] = {}


def _insert_with_history_sql(
    model: type[models.Model], conflict_fields: Sequence[str], using: str
) -> tuple[str, list[models.Field], list[models.Field]]:
    """The statement, the model's fields it inserts and simple-history's own fields."""
    key = (model, tuple(conflict_fields), using)
    if key not in _insert_sql:
        connection = connections[using]
        qn = connection.ops.quote_name
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        history = model.history.model  # type: ignore[attr-defined]
        tracked = {f.column for f in model._meta.concrete_fields}
        history_columns, selected = [], []
        for field in history._meta.concrete_fields:
            if field.primary_key:
                continue  # history_id: the table's own sequence
            history_columns.append(qn(field.column))
            if field.name in _HISTORY_OWN:
                selected.append("%s")
            elif field.column in tracked:
                selected.append(f'"inserted".{qn(field.column)}')
            else:
                raise ImproperlyConfigured(
                    f"{history._meta.label}.{field.name} is neither a column of "
                    f"{model._meta.label} nor one simple-history fills: extend "
                    "insert_once_with_history"
                )
        target = ", ".join(qn(model._meta.get_field(n).column) for n in conflict_fields)
        sql = (
            f'WITH "inserted" AS (INSERT INTO {qn(model._meta.db_table)} '
            f"({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT ({target}) "
            f"DO NOTHING RETURNING *) "
            f"INSERT INTO {qn(history._meta.db_table)} ({', '.join(history_columns)}) "
            f'SELECT {", ".join(selected)} FROM "inserted" '
            f"RETURNING {qn(model._meta.pk.column)}"
        )
        own = [f for f in history._meta.concrete_fields if f.name in _HISTORY_OWN]
        _insert_sql[key] = (sql, fields, own)
    return _insert_sql[key]


def insert_once_with_history(
    obj: models.Model,
    *,
    conflict_fields: Sequence[str],
    actor: Any,
    reason: str,
    using: str = "default",
) -> bool:
    """PostgreSQL: insert `obj` unless a row with the same `conflict_fields` exists, and its
    simple-history "+" row naming `actor` and `reason`, in ONE statement.

    `INSERT … ON CONFLICT DO NOTHING RETURNING *` inside a CTE feeds the history insert, so
    both rows are written or neither, without a transaction of our own (no BEGIN/COMMIT
    round trips) and without a savepoint. A concurrent insert of the same key waits for the
    other to commit and then inserts nothing. Returns whether it inserted (`obj.pk` is then
    set). No model signals are sent: the history row is the only post_save work the model
    has (tests/orders/test_ingest.py keeps it so).
    """
    sql, fields, history_fields = _insert_with_history_sql(type(obj), conflict_fields, using)
    connection = connections[using]
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]
    own = {
        "history_date": timezone.now(),
        "history_change_reason": reason,
        "history_type": "+",
        "history_user": actor.pk if getattr(actor, "pk", None) else None,
    }
    params += [f.get_db_prep_save(own[f.name], connection) for f in history_fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = using
    return True


class Precompiled:
    """A queryset's SQL, compiled by the ORM once per database and run with new parameters.

    The order API runs the same two lookups on every request; compiling them again each time
    cost more Python than running them. `build(*sentinels)` makes the queryset with sentinel
    values in place of the parameters; `rows(*values)` runs its SQL with the real values in
    their place. Only for querysets whose columns need no value converters (checked once);
    `rows()` answers None when it cannot be used, and the caller runs the queryset instead.
    """

    def __init__(self, build: Callable[..., QuerySet], *sentinels: Any) -> None:
        self.build = build
        self.sentinels = sentinels
        self._compiled: dict[str, tuple[str, list[int], list[str]] | None] = {}

    def _compile(self, using: str) -> tuple[str, list[int], list[str]] | None:
        if using not in self._compiled:
            compiler = self.build(*self.sentinels).query.get_compiler(using)
            sql, params = compiler.as_sql()
            expressions = [expression for expression, _sql, _alias in compiler.select]
            names = [getattr(getattr(e, "target", None), "attname", None) for e in expressions]
            usable = (
                all(p in self.sentinels for p in params)
                and not compiler.get_converters(expressions)
                and None not in names
            )
            order = [self.sentinels.index(p) for p in params] if usable else []
            self._compiled[using] = (sql, order, names) if usable else None
        return self._compiled[using]

    def columns(self, using: str = "default") -> list[str] | None:
        compiled = self._compile(using)
        return compiled[2] if compiled else None

    def rows(self, *values: Any, using: str = "default") -> list[tuple] | None:
        compiled = self._compile(using)
        if compiled is None:
            return None
        sql, order, _names = compiled
        with connections[using].cursor() as cursor:
            cursor.execute(sql, [values[i] for i in order])
            return cursor.fetchall()
