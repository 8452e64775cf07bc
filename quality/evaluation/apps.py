from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "quality.evaluation"
    label = "evaluation"
    verbose_name = "Evaluation: the sources of evidence side by side"
