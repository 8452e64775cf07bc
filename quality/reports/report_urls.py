"""The reports' pages: the archive, one report, generating, editing, publishing and correcting,
and one's report e-mails (quality/reports/views.py)."""

from django.urls import path

from . import views

urlpatterns: list = [
    path("", views.report_list, name="report_list"),
    path("generate/", views.report_generate, name="report_generate"),
    path("e-mails/", views.report_subscription, name="report_subscription"),
    path("<int:pk>/", views.report_detail, name="report_detail"),
    path("<int:pk>/edit/", views.report_edit, name="report_edit"),
    path("<int:pk>/autosave/", views.report_autosave, name="report_autosave"),
    path("<int:pk>/generate-again/", views.report_refresh, name="report_refresh"),
    path("<int:pk>/publish/", views.report_publish, name="report_publish"),
    path("<int:pk>/correct/", views.report_correct, name="report_correct"),
]
