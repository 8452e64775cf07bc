"""QA's review of an Inadequate grade: the POST of the form on the escalation's page (audits), which
shows the page again, through audits' own view, when the review is refused."""

from django.views.decorators.http import require_POST

from audits.cycle.escalation_views import escalation_change
from quality.access import Action, require

from . import qa_review
from .qa_review_forms import ReviewForm


@require(Action.CONFIRM_ESCALATION)
@require_POST
def escalation_review(request, pk):
    return escalation_change(
        request,
        pk,
        Action.CONFIRM_ESCALATION,
        ReviewForm,
        "review_form",
        qa_review.escalation_review,
        "Decision recorded. Everyone concerned has been told.",
    )
