"""QA's review of an Inadequate grade (moderation/qa_review_views.py): combined into the "moderation"
namespace by moderation/urls.py. The form is on the escalation's page, /escalations/<pk>/."""

from django.urls import path

from . import qa_review_views

urlpatterns = [
    path("escalations/<int:pk>/review/", qa_review_views.escalation_review, name="escalation_review"),
]
