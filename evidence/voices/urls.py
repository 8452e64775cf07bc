from django.urls import path

from . import views

app_name = "voices"

# Mounted at the root: the QA unit's pages under surveys/, the public pages under the short s/.
urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/links/", views.links_make, name="links_make"),
    path("s/thank-you/", views.thanks, name="thanks"),
    path("s/<str:token>/", views.respond, name="respond"),
]
