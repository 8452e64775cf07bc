from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "quality.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self):
        from django.db.models.signals import post_migrate

        from quality import append_only

        from . import middleware  # noqa: F401  (connects the sign-in receiver that starts the session clock)

        # pgtrigger's migrations guard history on PostgreSQL; SQLite gets the same rule after each migrate.
        post_migrate.connect(append_only.install_sqlite_triggers, dispatch_uid="quality.append_only.sqlite")
