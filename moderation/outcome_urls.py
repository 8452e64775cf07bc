"""Outcomes of moderation (moderation/outcome_views.py): agreement, kappa, calibration, and their downloads."""

from django.urls import path

from . import outcome_views

urlpatterns: list = [
    path("outcomes/", outcome_views.outcomes, name="outcomes"),
    path("outcomes/summary.csv", outcome_views.outcomes_export, {"file_format": "csv"}, name="outcomes_csv"),
    path("outcomes/summary.json", outcome_views.outcomes_export, {"file_format": "json"}, name="outcomes_json"),
    path("calibration/", outcome_views.calibration_list, name="calibration_list"),
    path("calibration/export.csv", outcome_views.calibration_export, name="calibration_csv"),
    path("calibration/<int:pk>/", outcome_views.calibration_detail, name="calibration_detail"),
]
