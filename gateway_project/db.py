"""Database helpers the ORM does not offer."""

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from django.db import connection, models

# Rows per INSERT statement: large enough to amortise round trips, small enough
# for SQLite's 32,766 bound parameters with a handful of columns.
ROWS_PER_STATEMENT = 2000


def _batched(rows: Iterable[Sequence], size: int) -> Iterator[list[Sequence]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def insert_ignoring_conflicts(
    model: type[models.Model],
    field_names: Sequence[str],
    rows: Iterable[Sequence],
    conflict_fields: Sequence[str],
) -> int:
    """INSERT ... ON CONFLICT (...) DO NOTHING, returning how many rows were really inserted.

    Django's bulk_create(ignore_conflicts=True) cannot say that; both SQLite and
    PostgreSQL report it as the statement's row count.
    """
    meta = model._meta
    fields = [meta.get_field(name) for name in field_names]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    conflict = ", ".join(quote(meta.get_field(name).column) for name in conflict_fields)
    row_placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted = 0
    with connection.cursor() as cursor:
        for chunk in _batched(rows, ROWS_PER_STATEMENT):
            values = ", ".join([row_placeholder] * len(chunk))
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            # Identifiers come from model metadata; every value is a bound parameter.
            sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values} ON CONFLICT ({conflict}) DO NOTHING"  # noqa: S608
            cursor.execute(sql, params)
            inserted += cursor.rowcount
    return inserted
