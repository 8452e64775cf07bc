from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "quality.org"
    label = "org"
    verbose_name = "Organisation"
