"""Database helpers for the hot paths, where the ORM's query building costs more than the query.

Each helper adapts values with the model field's own conversion (UUIDs as hex on
SQLite, datetimes per backend), so the SQL stays portable between SQLite and
PostgreSQL while skipping the compiler. Identifiers come from model metadata or
literals in code; every value is a bound parameter.
"""

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from itertools import islice

from django.db import DEFAULT_DB_ALIAS, connections, models


def _connection():
    # The real connection, not django.db.connection: that proxy looks it up on every attribute access.
    return connections[DEFAULT_DB_ALIAS]


# Rows per INSERT statement: large enough to amortise round trips, small enough
# for SQLite's 32,766 bound parameters with a handful of columns.
ROWS_PER_STATEMENT = 2000


def _batched(rows: Iterable[Sequence], size: int) -> Iterator[list[Sequence]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def db_value(model: type[models.Model], field_name: str, value):
    """A Python value as the database stores it in `model.field_name`."""
    return model._meta.get_field(field_name).get_db_prep_save(value, _connection())


@functools.cache
def _converters(model: type[models.Model], field_name: str) -> tuple:
    # One database backend per process, so the converters of a column never change.
    connection = _connection()
    column = model._meta.get_field(field_name).get_col(model._meta.db_table)
    return column, tuple(connection.ops.get_db_converters(column) + column.get_db_converters(connection))


def python_value(model: type[models.Model], field_name: str, value):
    """A value read from `model.field_name`'s column, converted as the ORM would convert it."""
    column, converters = _converters(model, field_name)
    connection = _connection()
    for converter in converters:
        value = converter(value, column, connection)
    return value


def utc_datetime_adapter() -> Callable[[datetime], object]:
    """How this backend stores a UTC datetime, as Django's adapter would, minus its per-call cost.

    SQLite keeps naive UTC text ("2026-01-08 00:00:00[.ffffff]"); psycopg adapts the object itself.
    Checked against Django's adapter by a property test.
    """
    if _connection().vendor == "sqlite":
        return lambda moment: str(moment.astimezone(UTC).replace(tzinfo=None))
    return lambda moment: moment


def pooled_connection_release() -> None:
    """Give this thread's connection back to the pool (PostgreSQL with DATABASE_POOL_MAX_SIZE) while it waits on
    something slow; its next query borrows one again. Outside a transaction only; without a pool, nothing."""
    connection = _connection()
    if connection.settings_dict.get("OPTIONS", {}).get("pool") and not connection.in_atomic_block:
        connection.close()


def execute(sql: str, params: Sequence) -> int:
    """Run one statement; returns the number of rows it changed."""
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch_one(sql: str, params: Sequence) -> tuple | None:
    with _connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def insert_rows(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence],
    *,
    ignore_conflicts_on: Sequence[str] | None = None,
    adapted: bool = False,
) -> int:
    """INSERT rows, optionally ON CONFLICT (...) DO NOTHING; returns how many were really inserted.

    Django's bulk_create(ignore_conflicts=True) cannot say how many; both SQLite and
    PostgreSQL report it as the statement's row count. `adapted=True` says the values
    are already in the database's form (bulk callers adapt column by column, faster).
    """
    connection = _connection()
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    on_conflict = ""
    if ignore_conflicts_on:
        targets = ", ".join(quote(meta.get_field(name).column) for name in ignore_conflicts_on)
        on_conflict = f" ON CONFLICT ({targets}) DO NOTHING"
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted = 0
    with connection.cursor() as cursor:
        for chunk in _batched(rows, ROWS_PER_STATEMENT):
            values = ", ".join([row_placeholder] * len(chunk))
            if adapted:
                params = [value for row in chunk for value in row]
            else:
                params = [
                    field.get_db_prep_save(value, connection)
                    for row in chunk
                    for field, value in zip(fields, row, strict=True)
                ]
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}{on_conflict}"  # noqa: S608
            cursor.execute(sql, params)
            inserted += cursor.rowcount
    return inserted
