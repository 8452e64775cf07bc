from django.apps import AppConfig


class ObservationsConfig(AppConfig):
    name = "evidence.observations"
    label = "observations"
    verbose_name = "Observations of practice"
