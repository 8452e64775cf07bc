from django.apps import AppConfig


class ComplaintsConfig(AppConfig):
    name = "evidence.complaints"
    label = "complaints"
    verbose_name = "Complaints and compliments"
