"""The hourly purge of checked uploads nobody loaded (quality/security/checked_uploads.py): called
directly, through a real worker on Redis, and on the beat schedule."""

from datetime import timedelta
from pathlib import Path

from django.utils import timezone

from quality.celery import app
from quality.security import checked_uploads
from quality.security.models import CheckedUpload
from quality.security.tasks import purge_expired_checked_uploads
from tests.org.test_tasks import celery_worker, wait_for  # noqa: F401 (celery_worker is a fixture)

TASK = "quality.security.tasks.purge_expired_checked_uploads"


def kept_two(make_person, own_area):
    """One checked file past its hour and one still kept, each with its file on disk."""
    from quality.org.models import Role

    owner = make_person(Role.QA_LEAD).user
    expired = checked_uploads.upload_keep(owner=owner, kind="case_list", content=b"a,b\n", file_name="old.csv")
    CheckedUpload.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    fresh = checked_uploads.upload_keep(owner=owner, kind="kpi_values", content=b"c,d\n", file_name="new.csv")
    return expired, fresh


def test_the_purge_removes_expired_files_and_their_rows_only(db, make_person, own_area):
    expired, fresh = kept_two(make_person, own_area)

    assert purge_expired_checked_uploads() == 1

    assert list(CheckedUpload.objects.all()) == [fresh]
    assert not Path(expired.file.path).exists() and Path(fresh.file.path).exists()


def test_a_worker_on_redis_runs_the_purge(transactional_db, celery_worker, make_person, own_area):  # noqa: F811
    expired, fresh = kept_two(make_person, own_area)

    purge_expired_checked_uploads.delay()

    assert wait_for(lambda: not CheckedUpload.objects.filter(pk=expired.pk).exists()), "not purged within 30 s"
    assert CheckedUpload.objects.filter(pk=fresh.pk).exists() and not Path(expired.file.path).exists()


def test_the_purge_is_on_the_beat_schedule():
    app.loader.import_default_modules()
    assert TASK in {entry["task"] for entry in app.conf.beat_schedule.values()} and TASK in app.tasks
