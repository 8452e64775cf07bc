from django.urls import path

from . import views

app_name = "families"

urlpatterns = [
    path("", views.form_list, name="form_list"),
    path("new/", views.form_create, name="form_create"),
    path("summary/", views.summary_view, name="summary"),
    path("<int:pk>/", views.form_detail, name="form_detail"),
    path("<int:pk>/edit/", views.form_edit, name="form_edit"),
]
