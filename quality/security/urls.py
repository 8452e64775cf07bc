from django.urls import path

from . import views

app_name = "security"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/export.csv", views.event_export, name="event_export"),
]
