from django.urls import path

from . import views

app_name = "observations"

urlpatterns = [
    path("", views.observation_list, name="list"),
    path("plan/", views.observation_plan, name="plan"),
    path("coverage/", views.coverage_view, name="coverage"),
    path("practice-weeks/", views.practice_weeks, name="practice_weeks"),
    path("practice-weeks/add/", views.practice_week_add, name="practice_week_add"),
    path("<int:pk>/", views.observation_detail, name="detail"),
    path("<int:pk>/record/", views.observation_record, name="record"),
    path("actions/<int:pk>/done/", views.action_item_done, name="action_done"),
]
