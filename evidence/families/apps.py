from django.apps import AppConfig


class FamiliesConfig(AppConfig):
    name = "evidence.families"
    label = "families"
    verbose_name = "Supporting Families benchmarking"
