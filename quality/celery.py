"""The Celery app. Every periodic schedule of the project is declared here, once."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quality.settings.local")

app = Celery("quality")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # 03:15 every night, when nobody is auditing: drop expired sessions and old
    # log-in failures so the lock-out table stays small.
    "purge-expired-sign-in-data": {
        "task": "quality.org.tasks.purge_expired_sign_in_data",
        "schedule": crontab(hour=3, minute=15),
    },
    # 03:30 every night: delete audit PDFs older than 30 days (audits.documents.DOCUMENT_RETENTION);
    # they are copies for the child's record and can be made again from the audit.
    "purge-old-audit-documents": {
        "task": "audits.tasks.purge_old_audit_documents",
        "schedule": crontab(hour=3, minute=30),
    },
}
