"""Panels, their dip samples and re-grading: combined into the "moderation" namespace by moderation/urls.py."""

from django.urls import path

from . import panel_views as views

urlpatterns = [
    path("panels/", views.panel_list, name="panel_list"),
    path("panels/new/", views.panel_create, name="panel_create"),
    path("panels/<int:pk>/", views.panel_detail, name="panel_detail"),
    path("panels/<int:pk>/edit/", views.panel_edit, name="panel_edit"),
    path("panels/<int:pk>/sample/draw/", views.panel_draw, name="panel_draw"),
    path("panels/<int:pk>/sample/check/", views.panel_draw_check, name="panel_draw_check"),
    path("panels/<int:pk>/sample/add/", views.sample_add, name="panel_sample_add"),
    path("panels/<int:pk>/open/", views.panel_open, name="panel_open"),
    path("panels/<int:pk>/conclude/", views.panel_conclude, name="panel_conclude"),
    path("panels/audits/<int:pk>/", views.item_detail, name="panel_item"),
    path("panels/audits/<int:pk>/remove/", views.sample_remove, name="panel_item_remove"),
    path("panels/audits/<int:pk>/blind/", views.item_blind, name="panel_item_blind"),
]
