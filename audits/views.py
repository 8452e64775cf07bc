"""Audit tool pages: list, preview, draft, edit, publish, retire, export and import."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from quality import built_files
from quality.access import GRADES_HIDDEN, Action, can, get_for, grades_hidden, require
from quality.forms import call_service
from quality.idempotency import create_once
from quality.org.forms import ReasonForm
from quality.security.access import Kind as AccessKind
from quality.security.access import record_access, seen

from . import documents, selectors, services, tool_files
from .cycle import escalation_views
from .forms import (
    ActionForm,
    AuditFieldsForm,
    AuditStartForm,
    ConcernForm,
    DisputeForm,
    OversightForm,
    ParticipantForm,
    QuestionForm,
    ResolveForm,
    SectionForm,
    ToolForm,
    ToolImportForm,
    answer_form,
    answers_from,
)
from .messages import (
    AUTOSAVE_CLOSED,
    AUTOSAVE_SIGNED_OUT,
    CONCERN_ALREADY_RAISED,
    COUNTS_AUDITORS,
    COUNTS_MODERATED,
    MODERATED_GRADE_STILL_COUNTS,
    TOOL_FILE_TOO_LARGE,
    autosave_conflict,
    autosave_saved,
    grade_that_counts,
)
from .models import Audit, AuditDocument, AuditTool, Grade, Question, Section, ToolVersion

_VERSION_PATH = {Section: "version__tool", Question: "section__version__tool"}
_VERSION_PATH_BY_KIND = {"section": Section, "question": Question}


def _draft_part(user, model, pk):
    """A section or question of a version the person may edit (services refuse non-drafts)."""
    return get_for(user, Action.MANAGE_TOOLS, model.objects.select_related(_VERSION_PATH[model]), pk=pk)


@require(Action.VIEW_TOOLS)
def tool_list(request):
    return render(request, "audits/tool_list.html", {"tools": selectors.tools_for(request.user)})


@require(Action.VIEW_TOOLS)
def tool_detail(request, pk):
    tool = get_for(request.user, Action.VIEW_TOOLS, AuditTool.objects.select_related("service_area"), pk=pk)
    versions = tool.versions.select_related("created_by__person", "published_by__person")
    return render(request, "audits/tool_detail.html", {"tool": tool, "versions": versions})


@require(Action.MANAGE_TOOLS)
def tool_create(request):
    form = ToolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        tool = call_service(form, services.tool_create, actor=request.user, **form.cleaned_data)
        if tool:
            messages.success(request, "Tool created with a draft on the seven areas of analysis.")
            return redirect(tool.versions.get())
    return render(request, "audits/tool_form.html", {"form": form})


@require(Action.VIEW_TOOLS)
def version_detail(request, pk):
    """The version as an auditor will see it (a preview), with its editing controls while a draft."""
    version = get_for(request.user, Action.VIEW_TOOLS, ToolVersion.objects.select_related("tool"), pk=pk)
    sections = selectors.version_sections_with_questions(version)
    context = {
        "version": version,
        "tool": version.tool,
        "preview": answer_form(sections),
        "problems": services.version_problems(version) if version.is_editable else [],
    }
    return render(request, "audits/version_detail.html", context)


@require(Action.MANAGE_TOOLS)
@require_POST
def version_start_draft(request, pk):
    tool = get_for(request.user, Action.MANAGE_TOOLS, AuditTool.objects, pk=pk)
    try:
        draft = services.version_start_draft(actor=request.user, tool=tool)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(tool)
    messages.success(request, f"Draft version {draft.number} started from the newest version.")
    return redirect(draft)


@require(Action.MANAGE_TOOLS)
@require_POST
def version_publish(request, pk):
    version = get_for(request.user, Action.MANAGE_TOOLS, ToolVersion.objects.select_related("tool"), pk=pk)
    try:
        services.version_publish(actor=request.user, version=version)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(version)
    messages.success(request, f"Version {version.number} published. New audits use it from now on.")
    return redirect(version.tool)


@require(Action.MANAGE_TOOLS)
@require_POST
def version_retire(request, pk):
    version = get_for(request.user, Action.MANAGE_TOOLS, ToolVersion.objects.select_related("tool"), pk=pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, form.errors["reason"][0])
        return redirect(version)
    try:
        services.version_retire(actor=request.user, version=version, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(version)
    messages.success(request, f"Version {version.number} retired. Audits answered on it keep its questions.")
    return redirect(version.tool)


@require(Action.MANAGE_TOOLS)
def version_export(request, pk, file_format):
    version = get_for(request.user, Action.MANAGE_TOOLS, ToolVersion.objects.select_related("tool"), pk=pk)
    body = tool_files.dump(tool_files.export_version(version), file_format)
    content_type = "application/yaml" if file_format == "yaml" else "application/json"
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="tool-{version.tool_id}-v{version.number}.{file_format}"'
    return response


@require(Action.MANAGE_TOOLS)
def tool_import(request):
    form = ToolImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > settings.TOOL_FILE_MAX_BYTES:
            form.add_error("file", TOOL_FILE_TOO_LARGE)
        else:
            text = upload.read().decode("utf-8", errors="replace")
            try:
                version = tool_files.tool_import(actor=request.user, text=text)
            except ValidationError as error:
                for message in error.messages:
                    form.add_error("file", message)
            else:
                messages.success(request, f"Imported as draft version {version.number} of {version.tool}.")
                return redirect(version)
    return render(request, "audits/tool_import.html", {"form": form})


@require(Action.MANAGE_TOOLS)
def section_edit(request, version_pk, pk=None):
    version = get_for(request.user, Action.MANAGE_TOOLS, ToolVersion.objects.select_related("tool"), pk=version_pk)
    section = get_for(request.user, Action.MANAGE_TOOLS, version.sections.all(), pk=pk) if pk else None
    form = SectionForm(request.POST or None, instance=section)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.section_save, version=version, section=section, **_fields(form, SectionForm)
        )
        if saved:
            return redirect(version)
    return render(request, "audits/part_form.html", {"form": form, "version": version, "part": "section"})


@require(Action.MANAGE_TOOLS)
def question_edit(request, section_pk, pk=None):
    section = _draft_part(request.user, Section, section_pk)
    question = get_for(request.user, Action.MANAGE_TOOLS, section.questions.all(), pk=pk) if pk else None
    form = QuestionForm(request.POST or None, instance=question)
    if request.method == "POST" and form.is_valid():
        saved = call_service(
            form, services.question_save, section=section, question=question, **_fields(form, QuestionForm)
        )
        if saved:
            return redirect(section.version)
    context = {"form": form, "version": section.version, "part": "question", "section": section}
    return render(request, "audits/part_form.html", context)


def _fields(form, form_class) -> dict:
    return {name: form.cleaned_data[name] for name in form_class.Meta.fields}


@require(Action.MANAGE_TOOLS)
@require_POST
def part_change(request, kind, pk, change):
    """Delete or move a section or question of a draft."""
    if kind not in _VERSION_PATH_BY_KIND or change not in ("delete", "up", "down"):
        raise Http404
    part = _draft_part(request.user, _VERSION_PATH_BY_KIND[kind], pk)
    version = part.version if kind == "section" else part.section.version
    try:
        if change == "delete":
            services.part_delete(part=part)
        else:
            services.part_move(part=part, up=change == "up")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(version)


# ---------------------------------------------------------------------------------------
# Audits: the record page with its oversight, disputes and history; the form and autosave.


def _audit_page(request, audit, status=200, **forms):
    """The audit's page, with the forms of whatever this person may do next."""
    user = request.user
    # Blind moderation: a member of the panel re-grading it sees none of its grades (quality.access).
    hidden = grades_hidden(user, audit)
    sections = selectors.answered_sections(audit)
    may_oversee = audit.state == Audit.State.SUBMITTED and can(user, Action.OVERSEE_AUDIT, audit)
    may_close = audit.state == Audit.State.OVERSEEN and can(user, Action.OVERSEE_AUDIT, audit)
    may_resolve = audit.state == Audit.State.DISPUTED and can(user, Action.RESOLVE_DISPUTE, audit)
    may_raise_concern = not audit.safeguarding_concern and can(user, Action.RAISE_CONCERN, audit)
    context = {
        "audit": audit,
        # An imported audit is named after the area as it was when the audit was completed.
        "area_name": audit.service_area.name_on(audit.submitted_at if audit.is_imported else audit.created_at),
        "sections": selectors.sections_with_grades_hidden(sections, GRADES_HIDDEN) if hidden else sections,
        "area_grades": [] if hidden else audit.area_grades.all(),
        "grades_hidden": hidden,
        "grades_hidden_text": GRADES_HIDDEN,
        "actions": audit.actions.select_related("owner"),
        "disputes": audit.disputes.select_related("raised_by", "resolved_by"),
        "history": selectors.audit_history(audit),
        "may_edit": audit.is_editable and can(user, Action.EDIT_AUDIT, audit),
        "may_oversee": may_oversee,
        "may_close": may_close,
        "may_resolve": may_resolve,
        # Audit.final_grade decides which grade counts; the page says which, and why.
        "counts_why": COUNTS_MODERATED if audit.moderated_grade else COUNTS_AUDITORS,
        # A new grade from the dispute would not move the figures while a moderated grade stands.
        "moderated_grade_warning": MODERATED_GRADE_STILL_COUNTS.format(grade=audit.get_moderated_grade_display())
        if may_resolve and audit.moderated_grade
        else None,
        "may_raise_concern": may_raise_concern,
        # The forms of what this person may do next, shown beside the summary at the top of the page.
        "has_actions": may_oversee or may_close or may_resolve or may_raise_concern,
        "oversight_form": forms.get("oversight_form") or OversightForm(),
        "dispute_form": forms.get("dispute_form") or DisputeForm(),
        "resolve_form": forms.get("resolve_form") or ResolveForm(),
        "concern_form": forms.get("concern_form") or ConcernForm(),
        **_participant_context(request, audit, forms),
        **escalation_views.audit_panel(request, audit, forms),  # escalations and exemplar status
        # Who has seen this audit: the QA lead and administrators only (not in the page for anyone else).
        "seen_by": seen(audit) if can(user, Action.VIEW_ACCESS_RECORDS) else None,
    }
    return render(request, "audits/audit_detail.html", context, status=status)


def _participant_context(request, audit, forms):
    """Who works on the audit beside its auditor; for the QA unit, the forms to invite and remove."""
    manage = can(request.user, Action.START_AUDIT, audit)
    participants = audit.participants.select_related("person", "invited_by__person")
    refused = forms.get("remove_form")  # a removal refused (no reason): shown with its error
    rows = [(p, ReasonForm(prefix=_remove_prefix(p))) for p in participants]
    rows = [(p, refused if refused is not None and refused.prefix == form.prefix else form) for p, form in rows]
    may_invite = manage and audit.kind == Audit.Kind.PARTNERSHIP and audit.is_editable
    return {
        "participants": rows,
        "may_invite": may_invite,
        "may_remove": manage,
        # A refused invitation is shown with its reason even where no invitation may be made.
        "participant_form": forms.get("participant_form") or (ParticipantForm(audit=audit) if may_invite else None),
    }


def _remove_prefix(participant) -> str:
    return f"remove-{participant.pk}"


@require(Action.VIEW_AUDITS)
@require_safe
def audit_detail(request, pk):
    audit = selectors.audit_for_page(request.user, Action.VIEW_AUDITS, pk)
    record_access(request, AccessKind.VIEWED, audit)
    return _audit_page(request, audit)


def _audit_change(request, pk, action, form_class, form_name, apply):
    """POST a small form about an audit; re-show the page with the errors if it is refused."""
    audit = selectors.audit_for_page(request.user, action, pk)
    form = form_class(request.POST)
    if form.is_valid() and call_service(form, apply, audit=audit, data=form.cleaned_data) is not None:
        return redirect(audit)
    return _audit_page(request, audit, status=422, **{form_name: form})


@require(Action.OVERSEE_AUDIT)
@require_POST
def audit_oversight(request, pk):
    def apply(audit, data):
        services.audit_confirm_oversight(actor=request.user, audit=audit, comment=data["comment"])
        messages.success(request, "Oversight recorded.")
        return audit

    return _audit_change(request, pk, Action.OVERSEE_AUDIT, OversightForm, "oversight_form", apply)


@require(Action.OVERSEE_AUDIT)
@require_POST
def audit_dispute(request, pk):
    def apply(audit, data):
        dispute = services.audit_dispute(actor=request.user, audit=audit, **data)
        messages.success(request, "Dispute raised: the auditor and the QA unit have been told.")
        return dispute

    return _audit_change(request, pk, Action.OVERSEE_AUDIT, DisputeForm, "dispute_form", apply)


@require(Action.RESOLVE_DISPUTE)
@require_POST
def audit_resolve(request, pk):
    def apply(audit, data):
        dispute = audit.disputes.filter(resolved_at__isnull=True).first()
        if dispute is None:
            raise ValidationError("This audit has no open dispute.")
        services.dispute_resolve(actor=request.user, dispute=dispute, **data)
        audit.refresh_from_db(fields=["overall_grade", "moderated_grade"])
        counts = grade_that_counts(Grade(audit.final_grade).label, bool(audit.moderated_grade))
        messages.success(request, f"Dispute resolved. {counts}" if audit.final_grade else "Dispute resolved.")
        return dispute

    return _audit_change(request, pk, Action.RESOLVE_DISPUTE, ResolveForm, "resolve_form", apply)


@require(Action.RAISE_CONCERN)
@require_POST
def audit_concern(request, pk):
    audit = selectors.audit_for_page(request.user, Action.RAISE_CONCERN, pk)
    form = ConcernForm(request.POST)
    if form.is_valid():
        raised, again = create_once(
            request,
            form,
            services.audit_raise_concern,
            location=lambda raised: raised.get_absolute_url(),
            actor=request.user,
            audit=audit,
            details=form.cleaned_data["safeguarding_details"],
        )
        if again:
            return again
        if raised:
            messages.success(
                request, "Concern raised: the service lead, heads of service and senior leaders are told now."
            )
            return redirect(raised)
    if audit.safeguarding_concern or CONCERN_ALREADY_RAISED in form.non_field_errors():
        # Raised once (maybe a moment ago, by someone else): the page no longer offers the form.
        messages.error(request, CONCERN_ALREADY_RAISED)
        return redirect(audit)
    return _audit_page(request, audit, status=422, concern_form=form)


@require(Action.START_AUDIT)
@require_http_methods(["GET", "HEAD", "POST"])
def audit_start(request):
    """The QA unit starts (allocates) an audit; the auditor is told."""
    # ?service_area= (the area chosen, htmx asking for its teams) starts the form with that area.
    form = AuditStartForm(request.POST or None, initial={"service_area": request.GET.get("service_area")})
    if request.method == "POST" and form.is_valid():
        audit, again = create_once(
            request,
            form,
            services.audit_create,
            location=lambda audit: audit.get_absolute_url(),
            actor=request.user,
            **form.cleaned_data,
        )
        if again:
            return again
        if audit:
            messages.success(request, f"Audit started. {audit.auditor.full_name} has been told.")
            return redirect(audit)
    return render(request, "audits/audit_start.html", {"form": form}, status=422 if form.errors else 200)


@require(Action.START_AUDIT)
@require_POST
def audit_participant_add(request, pk):
    audit = selectors.audit_for_page(request.user, Action.START_AUDIT, pk)
    form = ParticipantForm(request.POST, audit=audit)
    if form.is_valid():
        person = form.cleaned_data["person"]
        if call_service(form, services.participant_add, actor=request.user, audit=audit, person=person):
            messages.success(request, f"{person.full_name} is invited and has been told.")
            return redirect(audit)
    return _audit_page(request, audit, status=422, participant_form=form)


@require(Action.START_AUDIT)
@require_POST
def audit_participant_remove(request, pk, participant_pk):
    audit = selectors.audit_for_page(request.user, Action.START_AUDIT, pk)
    participant = get_object_or_404(audit.participants.select_related("person", "audit"), pk=participant_pk)
    form = ReasonForm(request.POST, prefix=_remove_prefix(participant))
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        if call_service(form, services.participant_remove, actor=request.user, participant=participant, reason=reason):
            messages.success(request, f"{participant.person.full_name} no longer works on this audit.")
            return redirect(audit)
    return _audit_page(request, audit, status=422, remove_form=form)


@require(Action.OVERSEE_AUDIT)
@require_POST
def audit_on_record(request, pk):
    audit = selectors.audit_for_page(request.user, Action.OVERSEE_AUDIT, pk)
    try:
        services.audit_mark_on_record(actor=request.user, audit=audit)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Marked as added to the child's record. The audit is closed.")
    return redirect(audit)


def _bound_audit_forms(audit, data=None):
    sections = selectors.version_sections_with_questions(audit.tool_version)
    if data is None:
        answers = answer_form(sections, initial=selectors.stored_answers(audit))
        fields = AuditFieldsForm(initial=AuditFieldsForm.initial_for(audit), graded=audit.is_graded)
    else:
        answers = answer_form(sections, data=data)
        fields = AuditFieldsForm(data, graded=audit.is_graded)
    return answers, fields


def _save_draft(request, audit, answers, fields):
    """Save whatever of the posted form is valid. Returns (audit, conflict or None)."""
    answers.is_valid()
    fields.is_valid()
    try:
        revision = int(request.POST.get("revision", ""))
    except ValueError:
        revision = -1
    try:
        saved = services.audit_save_draft(
            actor=request.user,
            audit=audit,
            revision=revision,
            answers=answers_from(answers),
            fields=fields.cleaned_data,
        )
    except services.AuditConflict as conflict:
        if conflict.changes:
            return conflict.audit, conflict
        # The saved audit already holds exactly what was sent (this person's own autosave or
        # page-leave beacon got there first): nothing would be lost, so it is not a conflict.
        return conflict.audit, None
    return saved, None


def _edit_page(request, audit, answers, fields, conflict=None, status=200):
    context = {
        "audit": audit,
        "answers": answers,
        "fields": fields,
        "conflict": conflict,
        "action_form": ActionForm(audit=audit),
        "actions": audit.actions.select_related("owner"),
        "concern_form": ConcernForm(),
        "may_submit": can(request.user, Action.SUBMIT_AUDIT, audit),
        "signed_out_message": AUTOSAVE_SIGNED_OUT,
    }
    return render(request, "audits/audit_form.html", context, status=status)


@require(Action.EDIT_AUDIT)
@require_http_methods(["GET", "HEAD", "POST"])
def audit_edit(request, pk):
    """The audit form. A plain POST here is 'submit': save what was typed, then check and submit."""
    audit = selectors.audit_for_page(request.user, Action.EDIT_AUDIT, pk)
    if not audit.is_editable:
        return redirect(audit)
    if request.method != "POST":
        return _edit_page(request, audit, *_bound_audit_forms(audit))
    if not can(request.user, Action.SUBMIT_AUDIT, audit):
        raise PermissionDenied  # an invited contributor answers (autosave); only the auditor submits
    answers, fields = _bound_audit_forms(audit, request.POST)
    audit, conflict = _save_draft(request, audit, answers, fields)
    if conflict or answers.errors or fields.errors:
        return _edit_page(request, audit, answers, fields, conflict, status=422)
    try:
        services.audit_submit(actor=request.user, audit=audit)
    except ValidationError as problems:
        for name, errors in problems.message_dict.items():
            (answers if name.startswith("q-") else fields).add_error(name if name != "__all__" else None, errors)
        return _edit_page(request, audit, answers, fields, status=422)
    messages.success(request, "Audit submitted. The case holder, their manager and the service lead have been told.")
    return redirect(audit)


@require(Action.EDIT_AUDIT, json=True)
@require_POST
def audit_autosave(request, pk):
    """htmx (and the page-leave beacon) save the draft as the person types.

    The answer is JSON naming the revision saved: the form's script drops its browser copy only on
    that answer, so anything else (a log-in page, an error page) leaves the typing kept.
    """
    audit = selectors.audit_for_page(request.user, Action.EDIT_AUDIT, pk)
    if not audit.is_editable:
        return JsonResponse({"saved": False, "closed": True, "message": AUTOSAVE_CLOSED})
    answers, fields = _bound_audit_forms(audit, request.POST)
    audit, conflict = _save_draft(request, audit, answers, fields)
    if conflict:
        changes = [str(change) for change in conflict.changes]
        return JsonResponse({"saved": False, "conflict": True, "message": autosave_conflict(changes)})
    invalid = [str(answers[name].label) for name in answers.errors] + [
        str(fields[name].label) for name in fields.errors
    ]
    saved_at = timezone.localtime(audit.updated_at).strftime("%H:%M:%S")
    return JsonResponse(
        {"saved": True, "revision": audit.revision, "invalid": invalid, "message": autosave_saved(saved_at, invalid)}
    )


@require(Action.EDIT_AUDIT)
@require_POST
def audit_action_add(request, pk):
    audit = selectors.audit_for_page(request.user, Action.EDIT_AUDIT, pk)
    form = ActionForm(request.POST, audit=audit)
    edit_url = reverse("audits:audit_edit", args=[audit.pk])
    if form.is_valid():
        action, again = create_once(
            request, form, services.action_add, location=lambda _: edit_url, audit=audit, **form.cleaned_data
        )
        if again:
            return again
        if action:
            messages.success(request, "Action added.")
            return redirect(edit_url)
    refused = "; ".join(error for errors in form.errors.values() for error in errors)
    messages.error(request, f"The action was not added: {refused}")
    return redirect(edit_url)


# ---------------------------------------------------------------------------------------
# The printable record of an audit, and its PDF: asked for here, made by a worker
# (audits/tasks.py), then downloaded through a view that checks access, never a media URL.


@require(Action.VIEW_AUDITS)
def audit_print(request, pk):
    audit = selectors.audit_for_page(request.user, Action.VIEW_AUDITS, pk)
    context = documents.print_context(
        audit,
        made_by=request.user,
        made_at=timezone.now(),
        for_pdf=False,
        grades_hidden=grades_hidden(request.user, audit),
    )
    record_access(request, AccessKind.PRINTED, audit)
    return render(request, "audits/audit_print.html", context)


def _audit_with_grades_shown(request, pk):
    """The audit, for its PDF: a PDF holds every grade, so none is made or given while they are hidden
    from this person (blind moderation); the printable page masks them instead."""
    audit = selectors.audit_for_page(request.user, Action.VIEW_AUDITS, pk)
    if grades_hidden(request.user, audit):
        raise PermissionDenied(GRADES_HIDDEN)
    return audit


@require(Action.VIEW_AUDITS)
@require_POST
def audit_document_request(request, pk):
    """Ask for a PDF of the audit (made by a worker). Asked by htmx (the audit's page), the answer is
    the PDF's status block, which polls in place and starts the download once the PDF is ready."""
    audit = _audit_with_grades_shown(request, pk)
    document = documents.document_request(actor=request.user, audit=audit)
    if request.htmx:
        return render(request, "includes/built_file_status.html", _document_status(audit, document))
    return redirect(document)


def _document_of(request, pk, document_pk, **lookup):
    """A document of an audit the person may see (404 if not, or if it belongs to another audit)."""
    audit = _audit_with_grades_shown(request, pk)
    queryset = audit.documents.select_related("requested_by__person").filter(**lookup)
    return audit, get_object_or_404(queryset, pk=document_pk)


def _document_status(audit, document: AuditDocument) -> dict:
    return built_files.status_context(
        document,
        what="the PDF",
        status_url=document.get_absolute_url(),
        download_url=reverse("audits:audit_document_download", args=[audit.pk, document.pk]),
        make_url=reverse("audits:audit_document_request", args=[audit.pk]),
        status_id="audit-pdf-status",
    )


@require(Action.VIEW_AUDITS)
@require_safe
@never_cache
def audit_document(request, pk, document_pk):
    """The document's page; asked by htmx (polling), only its status block."""
    audit, document = _document_of(request, pk, document_pk)
    context = {"audit": audit, "document": document, **_document_status(audit, document)}
    template = "includes/built_file_status.html" if request.htmx else "audits/audit_document.html"
    return render(request, template, context)


@require(Action.VIEW_AUDITS)
@never_cache
def audit_document_download(request, pk, document_pk):
    audit, document = _document_of(request, pk, document_pk, state=AuditDocument.State.READY)
    response = built_files.file_response(document, filename=document.download_name, content_type="application/pdf")
    record_access(request, AccessKind.PDF_DOWNLOADED, audit)
    return response
