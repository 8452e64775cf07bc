from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.triangulation_index, name="index"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    path("themes/<int:pk>/", views.theme_detail, name="theme"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
]
