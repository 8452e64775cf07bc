from django.urls import path

from . import self_views, views

app_name = "evaluation"

urlpatterns = [
    path("", views.triangulation_index, name="index"),
    path("areas/<int:pk>/", views.area_detail, name="area"),
    path("themes/<int:pk>/", views.theme_detail, name="theme"),
    path("rules/", views.rule_list, name="rule_list"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    # The self-evaluation
    path("self/", self_views.self_evaluation_list, name="self_evaluations"),
    path("self/<int:pk>/", self_views.self_evaluation_detail, name="self_evaluation"),
    path("self/<int:pk>/statements/new/", self_views.statement_new, name="statement_new"),
    path("self/<int:pk>/review/", self_views.review_send, name="review_send"),
    path("self/<int:pk>/comments/", self_views.comment_add, name="comment_add"),
    path("self/<int:pk>/return/", self_views.review_return, name="review_return"),
    path("self/<int:pk>/sign-off/", self_views.sign_off, name="sign_off"),
    path("self/<int:pk>/files/<str:file_format>/", self_views.document_file, name="self_evaluation_file"),
    path("self/statements/<int:pk>/", self_views.statement_edit, name="statement"),
    path("self/statements/<int:pk>/delete/", self_views.statement_delete, name="statement_delete"),
    path("self/statements/<int:pk>/evidence/", self_views.citation_add, name="citation_add"),
    path("self/evidence/<int:pk>/remove/", self_views.citation_remove, name="citation_remove"),
]
