from django.apps import AppConfig


class VoicesConfig(AppConfig):
    name = "evidence.voices"
    label = "voices"
    verbose_name = "Voices and surveys"
