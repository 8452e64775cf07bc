"""The practice-themes pages (quality/reports/theme_views.py), under /reports/themes/."""

from django.urls import path

from . import theme_views

urlpatterns = [
    path("themes/", theme_views.theme_list, name="theme_list"),
    path("themes/add/", theme_views.theme_add, name="theme_add"),
    path("themes/defaults/", theme_views.theme_defaults, name="theme_defaults"),
    path("themes/<int:pk>/edit/", theme_views.theme_edit, name="theme_edit"),
    path("themes/<int:pk>/deactivate/", theme_views.theme_deactivate, name="theme_deactivate"),
    path("themes/<int:pk>/reactivate/", theme_views.theme_activate, name="theme_activate"),
]
