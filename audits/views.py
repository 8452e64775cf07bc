"""Audit tool pages: list, preview, draft, edit, publish, retire, export and import."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from quality.access import Action, get_for, require
from quality.org.forms import ReasonForm, call_service

from . import selectors, services, tool_files
from .forms import QuestionForm, SectionForm, ToolForm, ToolImportForm, answer_form
from .models import AuditTool, Question, Section, ToolVersion

MAX_TOOL_FILE_BYTES = 1_000_000


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
        if upload.size > MAX_TOOL_FILE_BYTES:
            form.add_error("file", "The file is larger than 1 MB: a tool file is much smaller.")
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
