from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "quality.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self):
        # Request ids into tasks and their log lines, and the task metrics: in every process, web
        # (publishing) and worker (running), so connected here rather than in one of them.
        from . import metrics, request_id

        request_id.connect_signals()
        metrics.connect_signals()
