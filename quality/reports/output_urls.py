"""The downloads of a report: PDF, Excel workbook and JSON (quality/reports/output_views.py)."""

from django.urls import path

from . import output_views

urlpatterns: list = [
    path("<int:pk>/download/pdf/", output_views.report_pdf, name="report_pdf"),
    path("<int:pk>/download/xlsx/", output_views.report_xlsx, name="report_xlsx"),
    path("<int:pk>/download/json/", output_views.report_json, name="report_json"),
]
