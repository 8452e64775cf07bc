from django.urls import path

from . import views

app_name = "audits"

urlpatterns = [
    path("tools/", views.tool_list, name="tool_list"),
    path("tools/new/", views.tool_create, name="tool_create"),
    path("tools/import/", views.tool_import, name="tool_import"),
    path("tools/<int:pk>/", views.tool_detail, name="tool_detail"),
    path("tools/<int:pk>/draft/", views.version_start_draft, name="version_start_draft"),
    path("tool-versions/<int:pk>/", views.version_detail, name="version_detail"),
    path("tool-versions/<int:pk>/publish/", views.version_publish, name="version_publish"),
    path("tool-versions/<int:pk>/retire/", views.version_retire, name="version_retire"),
    path(
        "tool-versions/<int:pk>/export.json", views.version_export, {"file_format": "json"}, name="version_export_json"
    ),
    path(
        "tool-versions/<int:pk>/export.yaml", views.version_export, {"file_format": "yaml"}, name="version_export_yaml"
    ),
    path("tool-versions/<int:version_pk>/sections/new/", views.section_edit, name="section_create"),
    path("tool-versions/<int:version_pk>/sections/<int:pk>/", views.section_edit, name="section_edit"),
    path("tool-sections/<int:section_pk>/questions/new/", views.question_edit, name="question_create"),
    path("tool-sections/<int:section_pk>/questions/<int:pk>/", views.question_edit, name="question_edit"),
    path("tool-parts/<str:kind>/<int:pk>/<str:change>/", views.part_change, name="part_change"),
]
