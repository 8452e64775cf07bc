from django.apps import AppConfig


class MfaConfig(AppConfig):
    name = "quality.mfa"
    label = "mfa"
    verbose_name = "Second factor"
