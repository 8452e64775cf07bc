from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/export.csv", views.event_export, name="event_export"),
    path("access/", views.access_search, name="access_search"),
    path("access/export.csv", views.access_export, name="access_export"),
]
