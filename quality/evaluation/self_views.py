"""The self-evaluation's pages (docs/evaluation.md, "The self-evaluation").

Access (quality/access.py): VIEW_SELF_EVALUATION to read; WRITE_SELF_EVALUATION (the QA unit) to start
a year's draft, write statements, cite evidence and send the draft for review; COMMENT_ON_SELF_EVALUATION
(heads of service, senior leaders) while it is under review; SIGN_OFF_SELF_EVALUATION (senior leaders),
which publishes it. Every change is a POST with its CSRF token; the evidence one may cite is what the
person may see (visible()).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from audits.models import Audit
from evidence.voices.models import Survey
from performance.models import Indicator
from quality import built_files
from quality.access import Action, can, get_for, require, visible
from quality.forms import call_service
from quality.org.models import ServiceArea
from quality.org.selectors import changes_to
from quality.reports.models import Report

from . import documents, outputs, self_evaluation
from .forms import CitationForm, CommentForm, ReasonForm, SignOffForm, StartForm, StatementForm
from .models import Citation, EvaluationDocument, SelfEvaluation, Statement

STARTED = "Started the self-evaluation for {year}."
SAVED = "Saved the statement."
CITED = "Cited: {label}."
SENT = "Sent the draft to the heads of service for review."
COMMENTED = "Your comment is kept with the draft."
RETURNED = "The draft is back with the QA unit."
SIGNED_OFF = "Signed off and published. The PDF and the Word file are being made."


def _evaluation(request, pk: int, action: Action = Action.VIEW_SELF_EVALUATION) -> SelfEvaluation:
    return get_for(
        request.user, action, SelfEvaluation.objects.select_related("signed_off_by__person", "previous"), pk=pk
    )


def _statement(request, pk: int) -> Statement:
    queryset = Statement.objects.select_related("evaluation", "service_area", "carried_from")
    return get_for(request.user, Action.WRITE_SELF_EVALUATION, queryset, pk=pk)


@require(Action.VIEW_SELF_EVALUATION)
@require_http_methods(["GET", "HEAD", "POST"])
def self_evaluation_list(request):
    may_start = can(request.user, Action.WRITE_SELF_EVALUATION)
    form = StartForm(request.POST or None, initial={"year": _default_year()}) if may_start else None
    if request.method == "POST":
        if not may_start:
            raise PermissionDenied
        if form.is_valid():
            started = call_service(form, self_evaluation.self_evaluation_start, actor=request.user, **form.cleaned_data)
            if started:
                messages.success(request, STARTED.format(year=started.year))
                return redirect(started)
    evaluations = visible(request.user, SelfEvaluation.objects.select_related("signed_off_by__person"))
    return render(request, "evaluation/self/list.html", {"evaluations": evaluations, "form": form})


def _default_year() -> int:
    return timezone.localdate().year


@require(Action.VIEW_SELF_EVALUATION)
@require_safe
def self_evaluation_detail(request, pk: int):
    return _detail_page(request, _evaluation(request, pk))


def _detail_page(request, evaluation: SelfEvaluation, *, status: int = 200, **bound_forms):
    """The document and what the person may do to it now; `bound_forms` (a refused comment, return or
    sign-off) are shown with their errors next to their fields."""
    user = request.user
    in_review = evaluation.state == SelfEvaluation.State.IN_REVIEW
    context = {
        "evaluation": evaluation,
        "title": self_evaluation.title_of(evaluation),
        "changes": changes_to(evaluation),
        "may_write": can(user, Action.WRITE_SELF_EVALUATION) and not evaluation.is_frozen,
        "may_comment": can(user, Action.COMMENT_ON_SELF_EVALUATION) and in_review,
        "may_sign_off": can(user, Action.SIGN_OFF_SELF_EVALUATION) and in_review,
        "comments": evaluation.comments.select_related("author__person", "statement"),
    }
    if evaluation.is_frozen:
        context["content"] = evaluation.frozen
        context["files"] = [_file_status(evaluation, file_format) for file_format in EvaluationDocument.Format.values]
    else:
        context["chapters"] = self_evaluation.chapters_of(evaluation)
        if context["may_comment"]:
            statements = evaluation.statements.select_related("service_area")
            context["comment_form"] = bound_forms.get("comment_form") or CommentForm(statements=statements)
        if context["may_sign_off"]:
            context["sign_off_form"] = bound_forms.get("sign_off_form") or SignOffForm()
        if in_review and (context["may_sign_off"] or can(user, Action.WRITE_SELF_EVALUATION)):
            context["return_form"] = bound_forms.get("return_form") or ReasonForm()
    return render(request, "evaluation/self/detail.html", context, status=status)


def _run(request, service, done: str, **kwargs) -> bool:
    """Run a service that takes no form: its refusal as a message, or what was done."""
    try:
        service(actor=request.user, **kwargs)
    except ValidationError as refused:
        messages.error(request, " ".join(refused.messages))
        return False
    messages.success(request, done)
    return True


# ---------------------------------------------------------------------------------------
# Statements and their evidence


@require(Action.WRITE_SELF_EVALUATION)
@require_http_methods(["GET", "HEAD", "POST"])
def statement_new(request, pk: int):
    drafts = SelfEvaluation.objects.exclude(state=SelfEvaluation.State.PUBLISHED)  # a published one takes none
    evaluation = get_for(request.user, Action.WRITE_SELF_EVALUATION, drafts, pk=pk)
    headings = self_evaluation.section_headings(list(evaluation.statements.select_related("service_area")))
    initial = {"question": request.GET.get("question"), "section": request.GET.get("section")}
    form = StatementForm(request.POST or None, headings=headings, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form,
            self_evaluation.statement_save,
            actor=request.user,
            evaluation=evaluation,
            text=form.cleaned_data["text"],
            **form.placement(),
        )
        if saved:
            messages.success(request, SAVED)
            return redirect("evaluation:statement", pk=saved.pk)
    return render(request, "evaluation/self/statement_new.html", {"evaluation": evaluation, "form": form})


def _cite_defaults(statement: Statement) -> dict:
    """The statement's area and the evaluation's year, the evidence most statements cite."""
    return {
        "service_area": statement.service_area,
        "period_kind": Report.Kind.ANNUAL,
        "period": str(statement.evaluation.year),
    }


def _citation_form(request, data=None, initial=None) -> CitationForm:
    user = request.user
    return CitationForm(
        data,
        initial=initial,
        areas=visible(user, ServiceArea.objects.filter(is_active=True)).order_by("code"),
        audits=visible(user, Audit.objects.all()),
        surveys=visible(user, Survey.objects.all()).order_by("-opens_on"),
        indicators=Indicator.objects.filter(is_active=True).order_by("display_order", "code"),
    )


def _statement_page(request, statement: Statement, *, form=None, citation_form=None, status=200):
    context = {
        "statement": statement,
        "evaluation": statement.evaluation,
        "form": form or StatementForm(initial={"text": statement.text}),
        "citation_form": citation_form or _citation_form(request, initial=_cite_defaults(statement)),
        "citations": [
            (citation.pk, self_evaluation.evidence_entry(citation)) for citation in statement.citations.all()
        ],
    }
    return render(request, "evaluation/self/statement.html", context, status=status)


@require(Action.WRITE_SELF_EVALUATION)
@require_http_methods(["GET", "HEAD", "POST"])
def statement_edit(request, pk: int):
    statement = _statement(request, pk)
    if request.method != "POST":
        return _statement_page(request, statement)
    form = StatementForm(request.POST)
    if form.is_valid():
        saved = call_service(
            form,
            self_evaluation.statement_save,
            actor=request.user,
            evaluation=statement.evaluation,
            statement=statement,
            text=form.cleaned_data["text"],
        )
        if saved:
            messages.success(request, SAVED)
            return redirect("evaluation:statement", pk=saved.pk)
    return _statement_page(request, statement, form=form)


@require(Action.WRITE_SELF_EVALUATION)
@require_POST
def statement_delete(request, pk: int):
    statement = _statement(request, pk)
    _run(request, self_evaluation.statement_delete, "Deleted the statement.", statement=statement)
    return redirect(statement.evaluation)


@require(Action.WRITE_SELF_EVALUATION)
@require_POST
def citation_add(request, pk: int):
    statement = _statement(request, pk)
    form = _citation_form(request, request.POST)
    if form.is_valid():
        cited = call_service(
            form,
            self_evaluation.citation_add,
            actor=request.user,
            statement=statement,
            kind=form.cleaned_data["kind"],
            source=form.cleaned_data["source"],
        )
        if cited:
            messages.success(request, CITED.format(label=cited.label))
            return redirect("evaluation:statement", pk=statement.pk)
    return _statement_page(request, statement, citation_form=form, status=400)


@require(Action.WRITE_SELF_EVALUATION)
@require_POST
def citation_remove(request, pk: int):
    queryset = Citation.objects.select_related("statement__evaluation")
    citation = get_for(request.user, Action.WRITE_SELF_EVALUATION, queryset, pk=pk)
    _run(request, self_evaluation.citation_remove, "Removed the evidence.", citation=citation)
    return redirect("evaluation:statement", pk=citation.statement_id)


# ---------------------------------------------------------------------------------------
# Review and sign-off


@require(Action.WRITE_SELF_EVALUATION)
@require_POST
def review_send(request, pk: int):
    evaluation = _evaluation(request, pk, Action.WRITE_SELF_EVALUATION)
    _run(request, self_evaluation.review_send, SENT, evaluation=evaluation)
    return redirect(evaluation)


@require(Action.COMMENT_ON_SELF_EVALUATION)
@require_POST
def comment_add(request, pk: int):
    evaluation = _evaluation(request, pk, Action.COMMENT_ON_SELF_EVALUATION)
    form = CommentForm(request.POST, statements=evaluation.statements.select_related("service_area"))
    return _on_the_draft(request, evaluation, form, "comment_form", self_evaluation.comment_add, COMMENTED)


@require(Action.VIEW_SELF_EVALUATION)
@require_POST
def review_return(request, pk: int):
    if not (can(request.user, Action.WRITE_SELF_EVALUATION) or can(request.user, Action.SIGN_OFF_SELF_EVALUATION)):
        raise PermissionDenied
    evaluation = _evaluation(request, pk)
    form = ReasonForm(request.POST)
    return _on_the_draft(request, evaluation, form, "return_form", self_evaluation.review_return, RETURNED)


@require(Action.SIGN_OFF_SELF_EVALUATION)
@require_POST
def sign_off(request, pk: int):
    evaluation = _evaluation(request, pk, Action.SIGN_OFF_SELF_EVALUATION)
    form = SignOffForm(request.POST)
    return _on_the_draft(request, evaluation, form, "sign_off_form", self_evaluation.sign_off, SIGNED_OFF)


def _on_the_draft(request, evaluation: SelfEvaluation, form, form_name: str, service, done: str):
    """A form of the draft's page sent: the service run, or the page again with the refusal next to
    the form's fields (`form_name`, the page's name for it)."""
    if form.is_valid() and call_service(form, service, actor=request.user, evaluation=evaluation, **form.cleaned_data):
        messages.success(request, done)
        return redirect(evaluation)
    return _detail_page(request, evaluation, status=400, **{form_name: form})


# ---------------------------------------------------------------------------------------
# The PDF and the Word file of a published self-evaluation


def _status_id(file_format: str) -> str:
    return f"self-evaluation-{file_format}-status"


def _file_status(evaluation: SelfEvaluation, file_format: str) -> dict:
    url = _file_url(evaluation, file_format)
    name = EvaluationDocument.Format(file_format).label
    return built_files.status_context(
        documents.latest(evaluation, file_format),
        what=f"the {name}",
        status_url=url,
        download_url=url,
        make_url=url,
        make_label=f"Make the {name}",
        none_text=f"The {name} has not been made.",
        status_id=_status_id(file_format),
    ) | {"format_name": name}


def _file_url(evaluation: SelfEvaluation, file_format: str) -> str:
    return reverse("evaluation:self_evaluation_file", args=[evaluation.pk, file_format])


@require(Action.VIEW_SELF_EVALUATION)
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def document_file(request, pk: int, file_format: str):
    """GET: the file if it is ready, else its state (htmx: the status block alone). POST: ask again."""
    evaluation = _evaluation(request, pk)
    if file_format not in EvaluationDocument.Format.values or not evaluation.is_frozen:
        raise Http404("No such file.")
    if request.method == "POST":
        documents.document_request(actor=request.user, evaluation=evaluation, file_format=file_format)
        if not request.htmx:
            return redirect(evaluation)
    document = documents.latest(evaluation, file_format)
    if document is not None and document.state == EvaluationDocument.State.READY and not request.htmx:
        return built_files.file_response(
            document,
            filename=documents.download_name(evaluation, file_format),
            content_type=outputs.CONTENT_TYPES[file_format],
        )
    if request.htmx:
        return render(request, "includes/built_file_status.html", _file_status(evaluation, file_format))
    return redirect(evaluation)
