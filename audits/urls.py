from django.urls import path

from . import action_views, lists, views

app_name = "audits"

urlpatterns = [
    path("<int:pk>/", views.audit_detail, name="audit_detail"),
    path("<int:pk>/edit/", views.audit_edit, name="audit_edit"),
    path("<int:pk>/autosave/", views.audit_autosave, name="audit_autosave"),
    path("<int:pk>/actions/new/", views.audit_action_add, name="audit_action_add"),
    path("<int:pk>/oversight/", views.audit_oversight, name="audit_oversight"),
    path("<int:pk>/dispute/", views.audit_dispute, name="audit_dispute"),
    path("<int:pk>/resolve/", views.audit_resolve, name="audit_resolve"),
    path("<int:pk>/concern/", views.audit_concern, name="audit_concern"),
    path("<int:pk>/on-record/", views.audit_on_record, name="audit_on_record"),
    path("start/", views.audit_start, name="audit_start"),
    path("<int:pk>/participants/", views.audit_participant_add, name="audit_participant_add"),
    path(
        "<int:pk>/participants/<int:participant_pk>/remove/",
        views.audit_participant_remove,
        name="audit_participant_remove",
    ),
    path("<int:pk>/print/", views.audit_print, name="audit_print"),
    path("<int:pk>/pdf/", views.audit_document_request, name="audit_document_request"),
    path("<int:pk>/pdf/<int:document_pk>/", views.audit_document, name="audit_document"),
    path("<int:pk>/pdf/<int:document_pk>/download/", views.audit_document_download, name="audit_document_download"),
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
    # Lists (audits/lists.py): one view, three scopes; each export reads the list's own query string.
    path("mine/", lists.audit_list, {"scope": "mine"}, name="audit_list_mine"),
    path("mine/export.csv", lists.audit_export, {"scope": "mine", "file_format": "csv"}, name="audit_export_mine_csv"),
    path(
        "mine/export.xlsx", lists.audit_export, {"scope": "mine", "file_format": "xlsx"}, name="audit_export_mine_xlsx"
    ),
    path("area/", lists.audit_list, {"scope": "area"}, name="audit_list_area"),
    path("area/export.csv", lists.audit_export, {"scope": "area", "file_format": "csv"}, name="audit_export_area_csv"),
    path(
        "area/export.xlsx", lists.audit_export, {"scope": "area", "file_format": "xlsx"}, name="audit_export_area_xlsx"
    ),
    path("all/", lists.audit_list, {"scope": "all"}, name="audit_list_all"),
    path("all/export.csv", lists.audit_export, {"scope": "all", "file_format": "csv"}, name="audit_export_all_csv"),
    path("all/export.xlsx", lists.audit_export, {"scope": "all", "file_format": "xlsx"}, name="audit_export_all_xlsx"),
    path("voices/", lists.voices_list, name="voices_list"),
    path("voices/export.csv", lists.voices_export, name="voices_export_csv"),
    # Learning actions (audits/action_views.py): mine, my areas', one action, closing it (POST).
    path("actions/mine/", action_views.action_list, {"scope": "mine"}, name="action_list_mine"),
    path("actions/area/", action_views.action_list, {"scope": "area"}, name="action_list_area"),
    path("actions/<int:pk>/", action_views.action_detail, name="action_detail"),
    path("actions/<int:pk>/close/", action_views.action_close, name="action_close"),
]
