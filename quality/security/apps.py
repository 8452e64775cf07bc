from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "quality.security"
    label = "security"
    verbose_name = "Security"

    def ready(self):
        from . import receivers  # noqa: F401  (connects the sign-in, sign-out and failure receivers)
