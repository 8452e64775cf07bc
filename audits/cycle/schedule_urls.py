from django.urls import path

from . import schedule_views as views

app_name = "schedule"

urlpatterns = [
    path("", views.year_view, name="calendar"),
    path("<int:year>/", views.year_view, name="year"),
    path("<int:year>/<int:month>/", views.month_view, name="month"),
    path("entries/new/", views.entry_create, name="entry_create"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/edit/", views.entry_edit, name="entry_edit"),
    path("entries/<int:pk>/delete/", views.entry_delete, name="entry_delete"),
    # The calendar file: "Subscribe in Outlook", a person's secret feed address, a signed-in download.
    path("subscribe/", views.subscribe, name="subscribe"),
    path("subscribe/new-address/", views.subscription_create, name="subscription_create"),
    path("subscribe/replace-address/", views.subscription_replace, name="subscription_replace"),
    path("download.ics", views.download, name="download"),
    path("feed/<str:token>.ics", views.feed, name="feed"),
]
