"""The Celery app. Every periodic schedule of the project is declared here, once."""

import os
from datetime import timedelta

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
    # 03:20 every night: forget the tokens of forms saved over a day ago (quality/idempotency.py); a
    # repeated post comes within seconds, so only a page left open for a day could post its form again.
    "purge-old-form-tokens": {
        "task": "quality.org.tasks.purge_old_form_tokens",
        "schedule": crontab(hour=3, minute=20),
    },
    # 03:30 every night: delete audit PDFs older than 30 days (audits.documents.DOCUMENT_RETENTION);
    # they are copies for the child's record and can be made again from the audit.
    "purge-old-audit-documents": {
        "task": "audits.tasks.purge_old_audit_documents",
        "schedule": crontab(hour=3, minute=30),
    },
    # 03:40 every night: security events and access records older than SECURITY_EVENT_RETENTION (two
    # years) are removed, and the removal is itself recorded as an event.
    "purge-old-security-events": {
        "task": "quality.security.tasks.purge_old_security_events",
        "schedule": crontab(hour=3, minute=40),
    },
    # Every hour at :50: checked uploads nobody loaded within the hour they are kept
    # (quality/security/checked_uploads.py): files people chose, so they go once they are no use.
    "purge-expired-checked-uploads": {
        "task": "quality.security.tasks.purge_expired_checked_uploads",
        "schedule": crontab(minute=50),
    },
    # Every BUILD_SWEEP_EVERY_SECONDS (10 minutes; set when the settings are read, below): the files
    # asked for while Redis was down (their task never queued) or lost with a worker are built now:
    # audit PDFs, scorecard PDF packs, report PDFs and workbooks.
    "build-stranded-files": {
        "task": "quality.built_files.build_stranded_files",
        "schedule": timedelta(minutes=10),
    },
    # Every 10 minutes: notification e-mails still unsent a minute after their notification was made
    # (their task never queued while Redis was down, or the mail server refused every try); given up
    # after a day (quality/org/notify.py). The in-portal notification showed at once either way.
    "send-stranded-notification-emails": {
        "task": "quality.org.tasks.send_stranded_notification_emails",
        "schedule": crontab(minute="*/10"),
    },
    # The monthly cycle. Each job runs daily and reads its due dates from the database, so a day
    # missed while Redis or the worker was down is caught up the next time it runs; each is
    # idempotent, so running twice changes nothing.
    # 06:00: on or after the 3rd, propose the month's allocation if it has not been proposed.
    "propose-monthly-allocation": {
        "task": "audits.tasks.propose_monthly_allocation",
        "schedule": crontab(hour=6, minute=0),
    },
    # 06:30: escalation deadlines: allocate the re-audits that fall due, flag late updates.
    "run-escalation-deadlines": {
        "task": "audits.tasks.run_escalation_deadlines",
        "schedule": crontab(hour=6, minute=30),
    },
    # 05:00: audit analysis reports whose day has come (monthly on the 9th; quarterly on 6 Jan, Apr,
    # Jul and Oct; annual year to date on 1 December and in full on 6 January), caught up if missed.
    "generate-due-reports": {
        "task": "quality.reports.tasks.generate_due_reports",
        "schedule": crontab(hour=5, minute=0),
    },
    # 07:00: reminders before and on each cycle deadline (audit, oversight, record, escalation updates).
    "send-cycle-reminders": {
        "task": "audits.tasks.send_cycle_reminders",
        "schedule": crontab(hour=7, minute=0),
    },
    # 07:10: practice managers with practitioners due or overdue an observation hear of it a week before
    # each practice week (evidence/observations/reminders.py); once per week and manager, caught up daily.
    "send-practice-week-reminders": {
        "task": "evidence.observations.tasks.send_practice_week_reminders",
        "schedule": crontab(hour=7, minute=10),
    },
}


@app.on_after_configure.connect
def _sweep_interval_from_settings(sender, **kwargs):
    """The sweep's interval is a setting (the rehearsal shortens it). Read once Celery has loaded the
    Django settings: this module is imported while the settings themselves are being loaded."""
    from django.conf import settings

    every = timedelta(seconds=settings.BUILD_SWEEP_EVERY_SECONDS)
    sender.conf.beat_schedule["build-stranded-files"]["schedule"] = every
