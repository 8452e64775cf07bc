"""The indicator catalogue and the monthly value loads (issue 6, items 1 and 2)."""

from django.urls import path

from . import catalogue_views

urlpatterns = [
    path("catalogue/", catalogue_views.catalogue_list, name="catalogue"),
    path("catalogue/import/", catalogue_views.catalogue_import, name="catalogue_import"),
    path("catalogue/new/", catalogue_views.indicator_create, name="catalogue_indicator_create"),
    path("catalogue/<int:pk>/", catalogue_views.indicator_detail, name="catalogue_indicator"),
    path("catalogue/<int:pk>/edit/", catalogue_views.indicator_edit, name="catalogue_indicator_edit"),
    path("catalogue/<int:pk>/years/<int:year>/", catalogue_views.indicator_year_edit, name="catalogue_year_edit"),
    path("loads/", catalogue_views.value_load_list, name="value_loads"),
    path("loads/upload/", catalogue_views.value_load_upload, name="value_load_upload"),
    path("loads/<int:pk>/", catalogue_views.value_load_detail, name="value_load"),
]
