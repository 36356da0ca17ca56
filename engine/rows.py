"""Many rows into one table, as plain tuples straight to the database driver's `executemany`;
and rows selected by one of many values, with one parameter.

SQLAlchemy Core's insert of a list of dicts builds and processes every row's parameters in
Python; a read model's page (a rebuild: tens of thousands of fact rows) spends more time there
than the database spends inserting. Here a table's insert statement is made once, and the rows
go to the driver as they are: values in the table's column order, of the types the driver
stores as SQLAlchemy would (text, integers, booleans, dates; on SQLite a date is stored as its
ISO text, as SQLAlchemy's `Date` stores it).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

_statements: dict[tuple[str, str | None, str], tuple[str, tuple[int, ...]]] = {}


def insert_rows(conn: sa.Connection, table: sa.Table, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert `rows` (each a tuple of the table's columns in order) in the connection's
    transaction, with the store's schema (`schema_translate_map`) where it has one."""
    if not rows:
        return
    dialect = conn.dialect
    schema = conn.get_execution_options().get("schema_translate_map", {}).get(None)
    key = (dialect.name, schema, table.name)
    found = _statements.get(key)
    if found is None:
        quote = dialect.identifier_preparer
        name = quote.quote(table.name) if schema is None else f"{quote.quote_schema(schema)}.{quote.quote(table.name)}"
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        columns = ", ".join(quote.quote(c.name) for c in table.columns)
        sql = f"INSERT INTO {name} ({columns}) VALUES ({', '.join(marker for _ in table.columns)})"
        dates = tuple(i for i, c in enumerate(table.columns) if isinstance(c.type, sa.Date)) if dialect.name == "sqlite" else ()
        _statements[key] = found = (sql, dates)
    sql, dates = found
    if dates:
        rows = [_dates_as_text(row, dates) for row in rows]
    conn.exec_driver_sql(sql, list(rows))


def _dates_as_text(row: tuple[Any, ...], dates: tuple[int, ...]) -> tuple[Any, ...]:
    values = list(row)
    for i in dates:
        value = values[i]
        if isinstance(value, dt.date):
            values[i] = value.isoformat()
    return tuple(values)


def one_of(conn: sa.Connection, column: Any, values: list[str] | None) -> list[Any]:
    """The conditions that together select the rows whose `column` is one of `values` (None:
    every row, no condition), each one parameter: on PostgreSQL an array, on SQLite a JSON array
    (`json_each`, built in since 3.38; before, IN lists of at most 500, SQLite's limit on
    parameters). A query with hundreds of parameters costs SQLAlchemy more to prepare than
    SQLite to answer."""
    if values is None:
        return [None]
    if conn.dialect.name == "postgresql":
        return [column == sa.any_(sa.bindparam(None, values, type_=sa.ARRAY(sa.String)))]
    import sqlite3  # SQLAlchemy's SQLite dialect has imported it already

    if sqlite3.sqlite_version_info >= (3, 38):
        found = sa.select(sa.column("value")).select_from(sa.func.json_each(sa.bindparam(None, json.dumps(values))))
        return [column.in_(found.scalar_subquery())]
    return [column.in_(values[start : start + 500]) for start in range(0, len(values), 500)]
