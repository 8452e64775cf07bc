"""The files a worker builds (quality/built_files.py): one model with one rule, and one sweep for all of them.

Building, retrying and sweeping each kind of file are tested with it: tests/audits/test_documents.py,
tests/performance/test_pack.py and tests/reports/test_documents.py."""

from datetime import date

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from performance.models import PerformancePack
from quality import built_files
from quality.built_files import BuiltFile
from quality.celery import app

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def built_file_models() -> set:
    return {model for model in apps.get_models() if issubclass(model, BuiltFile)}


def test_every_built_file_is_built_by_the_one_sweep():
    app.loader.import_default_modules()  # as a worker does when it starts

    assert {model._meta.label for model in built_file_models()} == {
        "audits.AuditDocument",
        "evaluation.EvaluationDocument",
        "performance.PerformancePack",
        "reports.ReportDocument",
    }
    assert set(built_files.SWEPT) == built_file_models()


def test_every_built_file_is_held_to_ready_means_a_file_exists():
    for model in built_file_models():
        names = {constraint.name for constraint in model._meta.constraints}
        assert f"{model._meta.app_label}_{model._meta.model_name}_ready_has_file" in names


def test_the_database_refuses_a_file_marked_ready_without_its_file(performance_officer):
    with pytest.raises(IntegrityError), transaction.atomic():
        PerformancePack.objects.create(
            period=date(2026, 10, 1),
            requested_by=performance_officer.user,
            state=PerformancePack.State.READY,
            generated_at=timezone.now(),
        )

    made = PerformancePack.objects.create(
        period=date(2026, 10, 1),
        requested_by=performance_officer.user,
        state=PerformancePack.State.READY,
        file=ContentFile(b"%PDF-1.7\n", name="pack.pdf"),
        generated_at=timezone.now(),
    )
    assert made.state == PerformancePack.State.READY
