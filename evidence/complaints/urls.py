from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("", views.entry_list, name="entry_list"),
    path("export.csv", views.entry_export, {"file_format": "csv"}, name="entry_export_csv"),
    path("export.xlsx", views.entry_export, {"file_format": "xlsx"}, name="entry_export_xlsx"),
    path("add/", views.entry_create, name="entry_create"),
    path("<int:pk>/", views.entry_detail, name="entry_detail"),
    path("<int:pk>/change/", views.entry_edit, name="entry_edit"),
    path("import/", views.entry_import, name="entry_import"),
]
