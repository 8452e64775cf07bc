from django.urls import path

from . import case_views

app_name = "cases"

urlpatterns = [
    path("", case_views.case_list, name="case_list"),
    path("import/", case_views.case_import, name="case_import"),
]
