from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .cycle import deadline_counts
        from .figure_months import install_triggers

        # After every migrate, not in a migration: SQLite's schema editor drops a table's triggers
        # when it rebuilds the table, and a fresh test database is migrated too. Once per migrate (the
        # signal is sent for every app), when every app's tables are there.
        post_migrate.connect(install_triggers, sender=self, dispatch_uid="audits.figure_months.triggers")
        post_migrate.connect(
            deadline_counts.install_triggers, sender=self, dispatch_uid="audits.deadline_counts.triggers"
        )
