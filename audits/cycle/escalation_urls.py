from django.urls import path  # noqa: F401

from . import escalation_views, overdue_views

app_name = "escalations"

urlpatterns: list = [
    # The escalations board, one escalation and what is done on it (audits/cycle/escalation_views.py); QA's
    # review of the grade is a moderation decision, posted to moderation:escalation_review
    path("", escalation_views.board, name="board"),
    path("closed/", escalation_views.board, {"closed": True}, name="board_closed"),
    path("<int:pk>/", escalation_views.escalation_detail, name="escalation_detail"),
    path("<int:pk>/update/", escalation_views.escalation_update, name="escalation_update"),
    path("<int:pk>/close/", escalation_views.escalation_close, name="escalation_close"),
    # Exemplars for practice forums: marked on an audit's page, listed here
    path("exemplars/", escalation_views.exemplar_list, name="exemplar_list"),
    path("exemplars/<int:pk>/mark/", escalation_views.exemplar_mark, name="exemplar_mark"),
    path("exemplars/<int:pk>/unmark/", escalation_views.exemplar_unmark, name="exemplar_unmark"),
    # Overdue lists (audits/cycle/overdue_views.py)
    path("overdue/", overdue_views.overdue_list, name="overdue_list"),
    path("overdue/export.csv", overdue_views.overdue_export, name="overdue_export_csv"),
]
