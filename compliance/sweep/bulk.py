"""Insert thousands of rows the fast way: COPY on PostgreSQL, batched multi-row INSERTs elsewhere.

A first sweep records thousands of outcomes at once (3,000 evaluations, 3,000 notifications,
3,000 measures). `bulk_create` builds a model instance per row and prepares every value
through its field in Python, then psycopg adapts one array per column: that, not the
database, was most of the sweep's first-run time (docs/benchmarks.md "Compliance sweep").

Here the caller hands plain tuples of database-ready values (one `json.dumps` per JSON value,
done here with the field's encoder) and:
- on PostgreSQL, the primary keys are drawn from the table's sequence in ONE query and the
  rows are streamed with ONE `COPY … FROM STDIN` (psycopg's C dumpers, no SQL to compile);
- on other databases (SQLite in development and tests), `bulk_create` with a batch size.
Either way the new primary keys come back in row order, so evaluations, notifications and
their history rows keep the order and links they had. No signals are sent (as bulk_create);
the callers write the history rows themselves (`history_copy_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

BATCH_SIZE = 500  # multi-row INSERTs on the other databases (SQLite: 32,766 variables)


def _fill(model: type[models.Model], fields: Sequence[str]) -> list[tuple[models.Field, Any]]:
    """The model's concrete fields not given by the caller, with the value each takes.

    auto_now(_add) → now, a default → the default, nullable → NULL, blank text → ''; any
    other field missing is a programming error, raised here rather than left NULL.
    """
    given = {model._meta.get_field(name).attname for name in fields}
    now = timezone.now()
    extra = []
    for field in model._meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            value: Any = now
        elif field.has_default():
            value = field.get_default()
        elif field.null:
            value = None
        elif field.blank and isinstance(field, models.CharField | models.TextField):
            value = ""
        else:
            raise ValueError(f"insert_rows: no value for {model.__name__}.{field.name}")
        extra.append((field, value))
    return extra


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]
) -> list[int]:
    """Insert `rows` (values in the order of `fields`, attnames such as `vendor_id`) and
    return their new primary keys, in row order.

    Values are what the field stores: ints for foreign keys, aware datetimes, Decimals, str,
    and for JSON fields the Python value (encoded here with the field's encoder). Two queries
    on PostgreSQL whatever the number of rows; one per `BATCH_SIZE` rows elsewhere.
    """
    if not rows:
        return []
    extra = _fill(model, fields)
    if connection.vendor != "postgresql":
        names = [model._meta.get_field(name).attname for name in fields]
        defaults = {field.attname: value for field, value in extra}
        objs = [model(**defaults, **dict(zip(names, row, strict=True))) for row in rows]
        created = model.objects.bulk_create(objs, batch_size=BATCH_SIZE)
        return [obj.pk for obj in created]
    return _copy_rows(model, fields, rows, extra)


def _copy_rows(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    extra: list[tuple[models.Field, Any]],
) -> list[int]:
    meta = model._meta
    qn = connection.ops.quote_name
    given = [meta.get_field(name) for name in fields]
    json_at = [i for i, f in enumerate(given) if isinstance(f, models.JSONField)]
    encoders = {i: given[i].encoder for i in json_at}  # type: ignore[attr-defined]
    # Choices members (str enums) are written as their value, as the field would.
    text_at = [i for i, f in enumerate(given) if isinstance(f, models.CharField | models.TextField)]
    # Constant columns (defaults, created_at) are prepared once, through their field.
    constants = tuple(f.get_db_prep_save(v, connection) for f, v in extra)
    columns = [meta.pk.column] + [f.column for f in given] + [f.column for f, _v in extra]
    with connection.cursor() as cursor:
        # The keys first, from the table's own sequence (identity or serial), in one query.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [qn(meta.db_table), meta.pk.column, len(rows)],
        )
        ids = sorted(pk for (pk,) in cursor.fetchall())
        statement = f"COPY {qn(meta.db_table)} ({', '.join(map(qn, columns))}) FROM STDIN"

        def copy_all(sql: str, params: Any, many: bool, context: dict) -> None:
            connection.validate_no_broken_transaction()
            with cursor.copy(sql) as copy:
                for pk, row in zip(ids, rows, strict=True):
                    values = list(row)
                    for i in json_at:
                        values[i] = json.dumps(values[i], cls=encoders[i])
                    for i in text_at:
                        if values[i].__class__ is not str and values[i] is not None:
                            values[i] = str(values[i])
                    copy.write_row((pk, *values, *constants))

        # Through Django's execute wrappers, so query counters (the sweep's per-rule count,
        # CaptureQueriesContext) see the COPY as the one statement it is.
        with connection.wrap_database_errors:
            cursor._execute_with_wrappers(statement, None, False, copy_all)
    return ids


def insert_instances(objs: Sequence[models.Model]) -> list[models.Model]:
    """`insert_rows` for unsaved instances of one model (every concrete field as it stands;
    auto_now(_add) fields set to now); sets their primary keys and returns them."""
    if not objs:
        return []
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(list(objs), batch_size=BATCH_SIZE)
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            for obj in objs:
                setattr(obj, field.attname, now)
    names = [f.attname for f in fields]
    ids = insert_rows(model, names, [[getattr(obj, n) for n in names] for obj in objs])
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = connection.alias
    return list(objs)
