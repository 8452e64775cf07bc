"""Moderation's pages: panels and their samples (panel_urls), outcomes and agreement (outcome_urls),
and QA's review of an Inadequate grade (qa_review_urls)."""

from .outcome_urls import urlpatterns as outcome_patterns
from .panel_urls import urlpatterns as panel_patterns
from .qa_review_urls import urlpatterns as qa_review_patterns

app_name = "moderation"

urlpatterns = panel_patterns + outcome_patterns + qa_review_patterns
