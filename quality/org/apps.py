from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "quality.org"
    label = "org"
    verbose_name = "Organisation"

    def ready(self):
        from . import middleware  # noqa: F401  (connects the sign-in receiver that starts the session clock)
