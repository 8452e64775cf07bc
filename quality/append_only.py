"""History the database enforces: rows of a history or decision table are only ever added.

A model joins with one line in its Meta, `triggers = [append_only.protect()]` (or, for a table
whose old rows carry a "current" flag that a newer row turns off, `triggers =
append_only.protect_except_clearing("is_current")`: that one change is the only UPDATE allowed):
- on PostgreSQL that is a django-pgtrigger Protect trigger, created by the model's migrations:
  every UPDATE and DELETE raises, whether it comes from the ORM or from raw SQL;
- pgtrigger does nothing on SQLite (the zero-setup database of `make run`), so after every
  `migrate` `install_sqlite_triggers` gives each model carrying that trigger the same rule as
  SQLite triggers. After every migrate, not in one migration: SQLite's schema editor alters a
  table by rebuilding it, which drops the table's triggers, so they are put back each time.

TRUNCATE is not refused: it is how Django empties the tables between transactional tests (the
suite's faster stand-in, a DELETE with the triggers off, is in tests/conftest.py), and nothing in
the portal truncates. The only way round the rule is `rewriting_history`, in
the few places docs/security.md names (tests/test_append_only.py holds the list).
"""

from collections.abc import Iterator
from contextlib import contextmanager

import pgtrigger
from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

TRIGGER_NAME = "append_only"
UPDATE_TRIGGER_NAME = "append_only_update"  # protect_except_clearing's conditional UPDATE rule
SQLITE_MESSAGE = "append-only: history rows are never changed or deleted"
_OPERATIONS = ("UPDATE", "DELETE")


def protect() -> pgtrigger.Protect:
    """The trigger for a model's Meta.triggers: UPDATE and DELETE are refused, INSERT allowed."""
    return pgtrigger.Protect(name=TRIGGER_NAME, operation=pgtrigger.Update | pgtrigger.Delete)


class OnlyClearing(pgtrigger.Condition):
    """True (so the UPDATE is refused) unless it does nothing but turn `flag` from true to false."""

    def __init__(self, flag: str):
        self.flag = flag

    def sql_for(self, model: type[Model], distinct: str) -> str:
        flag = model._meta.get_field(self.flag).column
        others = [field.column for field in model._meta.concrete_fields if field.column != flag]
        changed = " OR ".join(f'OLD."{column}" {distinct} NEW."{column}"' for column in others)
        return f'NOT (OLD."{flag}" AND NOT NEW."{flag}") OR {changed}'

    def resolve(self, model: type[Model]) -> str:
        return self.sql_for(model, "IS DISTINCT FROM")


def protect_except_clearing(flag: str) -> list[pgtrigger.Protect]:
    """Meta.triggers for history whose superseded rows are marked by clearing `flag`: DELETE is
    refused, and UPDATE unless it only turns the flag off (it can never be turned back on)."""
    return [
        pgtrigger.Protect(name=TRIGGER_NAME, operation=pgtrigger.Delete),
        pgtrigger.Protect(name=UPDATE_TRIGGER_NAME, operation=pgtrigger.Update, condition=OnlyClearing(flag)),
    ]


def _rules(model: type[Model]) -> list[pgtrigger.Protect]:
    return [t for t in getattr(model._meta, "triggers", []) if t.name in (TRIGGER_NAME, UPDATE_TRIGGER_NAME)]


def protected_models() -> list[type[Model]]:
    return [model for model in apps.get_models() if any(t.name == TRIGGER_NAME for t in _rules(model))]


def _sqlite_name(model: type[Model], operation: str) -> str:
    return f"{model._meta.db_table}_{TRIGGER_NAME}_{operation.lower()}"


def _sqlite_statements(model: type[Model]) -> dict[str, str]:
    """Per operation, the SQLite trigger that says what the model's pgtrigger rules say."""
    statements = {}
    for rule in _rules(model):
        when = f" WHEN {rule.condition.sql_for(model, 'IS NOT')}" if isinstance(rule.condition, OnlyClearing) else ""
        for operation in _OPERATIONS:
            if operation in str(rule.operation):
                statements[operation] = (
                    f'CREATE TRIGGER "{_sqlite_name(model, operation)}" BEFORE {operation} '
                    f'ON "{model._meta.db_table}"{when} '
                    f"BEGIN SELECT RAISE(ABORT, '{SQLITE_MESSAGE}'); END"
                )
    return statements


def _drop_sqlite_triggers(cursor, models: list[type[Model]]) -> None:
    for model in models:
        for operation in _OPERATIONS:
            cursor.execute(f'DROP TRIGGER IF EXISTS "{_sqlite_name(model, operation)}"')


def _create_sqlite_triggers(cursor, models: list[type[Model]]) -> None:
    # Dropped first: a column added since changes an OnlyClearing trigger's condition.
    _drop_sqlite_triggers(cursor, models)
    for model in models:
        for statement in _sqlite_statements(model).values():
            cursor.execute(statement)


def install_sqlite_triggers(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """post_migrate receiver: the SQLite triggers for every protected table that exists."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = set(connection.introspection.table_names())
    with connection.cursor() as cursor:
        _create_sqlite_triggers(cursor, [model for model in protected_models() if model._meta.db_table in tables])


@contextmanager
def rewriting_history(*models: type[Model], using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Let these models' rows be changed or deleted inside the block (one transaction's worth of
    work). Only for the uses docs/security.md names, such as the demo loader dating the history of
    its made-up audits to when its story says they happened (tests/test_append_only.py checks)."""
    connection = connections[using]
    if connection.vendor == "postgresql":
        uris = [f"{model._meta.label}:{rule.name}" for model in models for rule in _rules(model)]
        with pgtrigger.ignore(*uris, databases=[using]):
            yield
        return
    with connection.cursor() as cursor:
        _drop_sqlite_triggers(cursor, list(models))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            _create_sqlite_triggers(cursor, list(models))
