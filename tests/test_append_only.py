"""History the database enforces (quality/append_only.py): the rows of the history and decision
tables are only ever added. UPDATE and DELETE fail on PostgreSQL (pgtrigger) and on SQLite (its own
triggers), through the ORM and through raw SQL alike, and leave the row as it was."""

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from audits.models import AnalysisArea, AuditEvent, Escalation, EscalationUpdate
from moderation.models import ModerationAreaGrade, ModerationDecision
from performance.models import Indicator, KpiValue, ValueLoad
from quality import append_only
from quality.org.models import AccessReviewDecision, ChangeRecord, Role, ServiceAreaName
from quality.org.services import change_record
from quality.security.models import AccessRecord

from .moderation.outcome_world import audit as make_audit
from .moderation.outcome_world import decide, published_version

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]

ROOT = Path(__file__).resolve().parent.parent
REFUSED = re.compile(r"pgtrigger: Cannot (update|delete|update or delete) rows")
# Where rewriting_history may be used (docs/security.md says why): the demo loader dating its made-up
# audits' history, and the agreed retention purge of security events and access records.
SANCTIONED_BYPASSES = {"audits/cycle/demo.py", "quality/security/events.py"}

# Each protected model and a text field an edit would change. (A table another module protects
# joins here, with a row in one_of_each.)
PROTECTED = {
    AuditEvent: "reason",
    EscalationUpdate: "text",
    ModerationDecision: "rationale",
    ModerationAreaGrade: "moderated_grade",
    ChangeRecord: "summary",
    ServiceAreaName: "name",
    ValueLoad: "file_name",
    KpiValue: "note",
    AccessReviewDecision: "reason",
    AccessRecord: "case_reference",
}


def one_of_each(area, person) -> dict:
    """A row of every protected table (inserting them is still allowed)."""
    audit = make_audit(published_version(person.user), area, person, "C-1")
    escalation = Escalation.objects.create(audit=audit, kind=Escalation.Kind.INADEQUATE, stage="escalated")
    decision = decide(audit, "good", "requires_improvement", date(2026, 11, 2), rationale="As decided")
    load = ValueLoad.objects.create(loaded_by=person.user, file_name="values.xlsx", rows=1)
    indicator = Indicator.objects.create(
        code="M1", title="Re-referrals", priority_area="Help", unit="%", polarity="low"
    )
    return {
        AuditEvent: AuditEvent.objects.create(audit=audit, actor=person.user, what="state", reason="As it happened"),
        EscalationUpdate: EscalationUpdate.objects.create(
            escalation=escalation, step=EscalationUpdate.Step.NOTE, text="As recorded", recorded_by=person
        ),
        ModerationDecision: decision,
        ModerationAreaGrade: ModerationAreaGrade.objects.create(
            decision=decision, area=AnalysisArea.PLANNING, original_grade="good", moderated_grade="good"
        ),
        ChangeRecord: change_record(actor=person.user, target=area, action="test", summary="As changed"),
        ServiceAreaName: area.names.get(),
        ValueLoad: load,
        KpiValue: KpiValue.objects.create(indicator=indicator, period=date(2026, 10, 1), value=12, load=load),
        AccessReviewDecision: AccessReviewDecision.objects.create(
            person=person, decided_by=person.user, decision="keep", reason="Still needed", quarter="2026-Q4"
        ),
        AccessRecord: AccessRecord.objects.create(
            user=person.user, kind="viewed", object_type="audits.audit", object_id=audit.pk, case_reference="C-1"
        ),
    }


@pytest.fixture
def rows(own_area, make_person):
    return one_of_each(own_area, make_person(Role.PRACTICE_MANAGER, own_area))


def refused(attempt, *also) -> str:
    """Run the attempt in a savepoint (the test's transaction goes on); return the database's refusal."""
    with pytest.raises((DatabaseError, *also)) as caught, transaction.atomic():
        attempt()
    return str(caught.value)


def field_value(model, row, field):
    return model.objects.filter(pk=row.pk).values_list(field, flat=True).get()


def test_every_history_and_decision_table_here_is_protected():
    assert set(PROTECTED) <= set(append_only.protected_models())


@pytest.mark.parametrize("model", PROTECTED, ids=lambda model: model.__name__)
def test_the_orm_can_neither_update_nor_delete_a_row(rows, model):
    row, field = rows[model], PROTECTED[model]
    before = field_value(model, row, field)

    assert REFUSED.search(refused(lambda: model.objects.filter(pk=row.pk).update(**{field: "edited"})))
    setattr(row, field, "edited")
    assert REFUSED.search(refused(row.save))
    # A decision's own area grades already stop Django deleting it (ProtectedError) before the trigger.
    refused(row.delete, ProtectedError)
    refused(model.objects.filter(pk=row.pk).delete, ProtectedError)

    assert field_value(model, row, field) == before


@pytest.mark.parametrize("model", PROTECTED, ids=lambda model: model.__name__)
def test_raw_sql_can_neither_update_nor_delete_a_row(rows, model):
    row, field = rows[model], PROTECTED[model]
    table, column = model._meta.db_table, model._meta.get_field(field).column
    before = field_value(model, row, field)

    def execute(sql: str, params: list):
        with connection.cursor() as cursor:
            cursor.execute(sql, params)

    assert REFUSED.search(
        refused(lambda: execute(f'UPDATE "{table}" SET "{column}" = %s WHERE id = %s', ["x", row.pk]))
    )
    assert REFUSED.search(refused(lambda: execute(f'DELETE FROM "{table}" WHERE id = %s', [row.pk])))

    assert field_value(model, row, field) == before


def test_a_replaced_figure_may_only_stop_being_current(rows):
    figure = rows[KpiValue]
    assert KpiValue.objects.filter(pk=figure.pk).update(is_current=False) == 1  # what a reload does
    assert REFUSED.search(refused(lambda: KpiValue.objects.filter(pk=figure.pk).update(is_current=True)))
    figure.refresh_from_db()
    figure.value = 13
    assert REFUSED.search(refused(figure.save))
    assert KpiValue.objects.filter(pk=figure.pk).values_list("is_current", "value").get() == (False, 12)


def test_new_rows_are_still_added_beside_the_old(rows):
    event = rows[AuditEvent]
    AuditEvent.objects.create(audit=event.audit, what="state", reason="Later")
    assert list(AuditEvent.objects.values_list("reason", flat=True)) == ["As it happened", "Later"]


@pytest.mark.django_db(transaction=True)  # committed rows, truncated as Django's flush does
def test_truncate_still_empties_the_tables_as_djangos_flush_does(rows):
    tables = ", ".join(f'"{model._meta.db_table}"' for model in PROTECTED)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {tables} CASCADE")
    assert not any(model.objects.exists() for model in PROTECTED)


@pytest.mark.django_db(transaction=True)  # committed rows, emptied by the flush between transactional tests
def test_the_suites_flush_empties_every_table_history_too(rows):
    """The suite's flush (a DELETE with the triggers off, tests/conftest.py) leaves what Django's does:
    every table empty but for the content types and permissions that migrating puts back."""
    call_command("flush", interactive=False, verbosity=0)

    filled = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy and model._default_manager.exists()
    }
    assert filled == {"django_content_type", "auth_permission"}
    assert not any(model.objects.exists() for model in PROTECTED)


def test_the_demos_bypass_lets_history_be_re_dated_inside_it_only(rows):
    event = rows[AuditEvent]
    with append_only.rewriting_history(AuditEvent):
        AuditEvent.objects.filter(pk=event.pk).update(reason="Re-dated")
    assert field_value(AuditEvent, event, "reason") == "Re-dated"
    assert REFUSED.search(refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(reason="Again")))


def test_only_the_sanctioned_places_use_the_bypass():
    users = subprocess.run(
        [
            "grep",
            "-rl",
            "--include=*.py",
            "rewriting_history(",
            "audits",
            "moderation",
            "performance",
            "evidence",
            "quality",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert "audits/cycle/demo.py" in users
    assert set(users) <= {"quality/append_only.py", *SANCTIONED_BYPASSES}


# --- SQLite, the zero-setup database: the same rule from its own triggers ---------------------------

SQLITE_CHECK = """
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from quality import append_only
from quality.org.models import Person, ServiceArea
from quality.org.services import service_area_create
from performance.models import KpiValue
from tests.test_append_only import PROTECTED, one_of_each

person = Person.objects.create(user=get_user_model().objects.create(username="a@x.example"), full_name="A")
one_of_each(service_area_create(actor=None, code="SWF", name="Social Work with Families"), person)
for model in sorted(PROTECTED, key=lambda model: model._meta.label):
    table, before = model._meta.db_table, model.objects.count()
    for operation, sql in (("update", f'UPDATE "{table}" SET id = id'), ("delete", f'DELETE FROM "{table}"')):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql)
            print(model._meta.label, operation, "allowed")
        except Exception as error:
            print(model._meta.label, operation, "refused" if append_only.SQLITE_MESSAGE in str(error) else error)
    print(model._meta.label, "rows", "kept" if before and model.objects.count() == before else "lost")
print("clearing allowed", KpiValue.objects.update(is_current=False))
try:
    with transaction.atomic():
        KpiValue.objects.update(is_current=True)
except Exception as error:
    print("setting again", "refused" if append_only.SQLITE_MESSAGE in str(error) else error)
"""


def test_on_a_fresh_sqlite_database_raw_sql_can_neither_update_nor_delete_history(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env |= {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.sqlite3'}",
        "DJANGO_SETTINGS_MODULE": "quality.settings.local",
    }

    def manage(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
        return done.stdout

    manage("migrate", "--noinput", "-v", "0")
    # Altering a table on SQLite rebuilds it and drops its triggers: every migrate puts them back.
    manage("migrate", "moderation", "0002", "--noinput", "-v", "0")
    manage("migrate", "--noinput", "-v", "0")
    lines = manage("shell", "-v", "0", "-c", SQLITE_CHECK).splitlines()

    expected = []
    for label in sorted(model._meta.label for model in PROTECTED):
        expected += [f"{label} update refused", f"{label} delete refused", f"{label} rows kept"]
    assert lines == [*expected, "clearing allowed 1", "setting again refused"]
