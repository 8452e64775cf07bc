"""Survey pages: the public pages a family answers through a one-time link, and the QA unit's pages.

Public (no sign-in, no session, no JavaScript needed): /s/<token>/ shows the survey and takes the
answers once; /s/thank-you/ thanks. Every request to them is counted per client address first
(quality.security.lockout.survey_request_allowed): past the limit, 429. A token that opens nothing,
or a link already used, gets the same page with a 404 (a guesser learns nothing); a link outside its
survey's window says the survey is not open, also with a 404.

The QA unit (MANAGE_SURVEYS) opens surveys and makes links; the results (VIEW_SURVEYS) show counts
with small-number suppression to the QA unit, heads of service and senior leaders; what people wrote
in their own words only to the QA unit (VIEW_SURVEY_FREE_TEXT).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audits.forms import answers_from
from quality.access import Action, can, get_for, public, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.org.selectors import changes_to
from quality.security.lockout import survey_request_allowed
from quality.spreadsheets import csv_response

from . import services
from .forms import LinksForm, SurveyFilter, SurveyForm, response_form
from .models import Survey
from .selectors import survey_results, surveys_listed

PUBLIC_REASON = (
    "children and families answer a survey through a one-time link without an account: the page shows "
    "the survey's questions only, never an answer, a name or a case"
)


def _public_page(request, template: str, context: dict | None = None, status: int = 200):
    return render(request, f"voices/public/{template}", context or {}, status=status)


def _throttled(request):
    return _public_page(request, "busy.html", status=429)


@public(PUBLIC_REASON)
@never_cache
@require_http_methods(["GET", "POST"])
def respond(request, token: str):
    if not survey_request_allowed(request):
        return _throttled(request)
    link = services.link_for(token)
    if link is None or link.used_at is not None:
        return _public_page(request, "unavailable.html", status=404)
    survey = link.survey
    if not survey.is_open_on(timezone.localdate()):
        return _public_page(request, "closed.html", {"survey": survey}, status=404)
    form = response_form(survey.tool_version, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.response_submit(token=token, answers=answers_from(form))
        except services.LinkUsed:
            return _public_page(request, "unavailable.html", status=404)
        return redirect("voices:thanks")
    return _public_page(request, "respond.html", {"survey": survey, "form": form})


@public(PUBLIC_REASON)
@never_cache
@require_safe
def thanks(request):
    if not survey_request_allowed(request):
        return _throttled(request)
    return _public_page(request, "thanks.html")


@require(Action.VIEW_SURVEYS)
@require_safe
def survey_list(request):
    surveys = SurveyFilter(request.GET, queryset=surveys_listed(request.user), request=request)
    context = {
        "filter": surveys,
        "surveys": surveys.qs if surveys.is_valid() else surveys.qs.none(),
        "may_manage": can(request.user, Action.MANAGE_SURVEYS),
        "may_view_voices": can(request.user, Action.VIEW_VOICES),
        "today": timezone.localdate(),
    }
    return render(request, "voices/survey_list.html", context)


@require(Action.MANAGE_SURVEYS)
@require_http_methods(["GET", "POST"])
def survey_create(request):
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        survey, again = create_once(
            request,
            form,
            services.survey_create,
            location=lambda survey: survey.get_absolute_url(),
            actor=request.user,
            **form.cleaned_data,
        )
        if again:
            return again
        if survey:
            messages.success(request, f"Opened the survey {survey.title}. Now make its links.")
            return redirect(survey)
    return render(request, "voices/survey_form.html", {"form": form})


def _survey_for(request, action: Action, pk: int) -> Survey:
    queryset = Survey.objects.select_related("tool_version__tool", "service_area")
    return get_for(request.user, action, queryset, pk=pk)


def _detail(request, survey: Survey, links_form: LinksForm | None = None, made=None, status: int = 200):
    manage = can(request.user, Action.MANAGE_SURVEYS)
    context = {
        "survey": survey,
        "results": survey_results(request.user, survey),
        "may_manage": manage,
        "may_read_free_text": can(request.user, Action.VIEW_SURVEY_FREE_TEXT),
        "links_form": links_form or (LinksForm() if manage else None),
        "made": made,
        "changes": changes_to(survey)[:20] if manage else None,
        "open_now": survey.is_open_on(timezone.localdate()),
    }
    return render(request, "voices/survey_detail.html", context, status=status)


@require(Action.VIEW_SURVEYS)
@require_safe
def survey_detail(request, pk: int):
    return _detail(request, _survey_for(request, Action.VIEW_SURVEYS, pk))


def _link_rows(request, made) -> list:
    rows = [["Case reference", "Link"]]
    for link in made:
        rows.append([link.case_reference, request.build_absolute_uri(reverse("voices:respond", args=[link.token]))])
    return rows


@require(Action.MANAGE_SURVEYS)
@never_cache  # the page and the file carry the only copy of the tokens
@require_POST
def links_make(request, pk: int):
    """Make links and hand them over once: on the page, or (the other button) as a CSV file."""
    survey = _survey_for(request, Action.MANAGE_SURVEYS, pk)
    form = LinksForm(request.POST)
    made = None
    if form.is_valid():
        try:
            references = services.case_references_from(form.cleaned_data["case_references"] or "")
        except ValidationError as error:
            form.add_error("case_references", error.error_dict["case_references"])
        else:
            made = call_service(
                form,
                services.links_make,
                actor=request.user,
                survey=survey,
                count=form.cleaned_data["count"] or 0,
                case_references=references,
            )
    if made is None:
        return _detail(request, survey, links_form=form, status=400)
    rows = _link_rows(request, made)
    if request.POST.get("as") == "csv":
        return csv_response(rows, f"survey-{survey.pk}-links")
    return _detail(request, survey, made=rows[1:])
