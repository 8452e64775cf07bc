from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "quality.reports"
    label = "reports"
    verbose_name = "Audit analysis reports"
