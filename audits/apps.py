from django.apps import AppConfig


class AuditsConfig(AppConfig):
    name = "audits"
    verbose_name = "Audits"

    def ready(self):
        from django.db.models.signals import post_migrate

        from .figure_months import install_triggers

        # After every migrate, not in a migration: SQLite's schema editor drops a table's triggers
        # when it rebuilds the table, and a fresh test database is migrated too.
        post_migrate.connect(install_triggers, dispatch_uid="audits.figure_months.triggers")
