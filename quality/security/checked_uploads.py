"""A file checked with "Check only", kept so that "Load this file" loads it without choosing it again.

After a check that finds nothing wrong, the upload pages keep the file (`upload_keep`) under a random
token that only the page's next POST carries (a hidden field, never an address). "Load this file"
posts the token back; `chosen_file` gives the file only to the person who checked it, for the same
kind of upload, before it expires and unchanged since the check (its SHA-256); anyone else, or too
late, is told to choose the file again. The load itself reads and checks the whole file again and
is still all or nothing: the data may have changed since the check. A person keeps one checked file
of each kind; it goes once loaded, and the nightly purge removes what nobody loaded.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from quality.tabular import ImportRefused, errors_context

from .models import CheckedUpload

logger = logging.getLogger(__name__)

KEPT_FOR = timedelta(hours=1)
NOT_KEPT = (
    "The checked file is no longer kept (it is kept for an hour, for the person who checked it). Choose the file again."
)
TOKEN_FIELD = "checked"
# The upload pages' two buttons (the `mode` posted): anything but IMPORT (pressing Enter, an old page)
# only checks.
CHECK, IMPORT = "check", "import"


@dataclass(frozen=True)
class ChosenFile:
    content: bytes
    file_name: str
    kept: CheckedUpload | None  # the checked file it came from, if it was not chosen now


class KeepsCheckedFile(forms.Form):
    """An upload form whose file may instead be the one kept at the check: with a token posted, the
    form has no file field (the file is `chosen_file`'s)."""

    checked = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.data.get(TOKEN_FIELD):
            del self.fields["file"]


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _discard(kept: CheckedUpload) -> None:
    kept.file.delete(save=False)
    kept.delete()


def upload_keep(*, owner, kind: str, content: bytes, file_name: str) -> CheckedUpload:
    """Keep a checked file for `owner`, in place of the one of this kind they kept before."""
    for earlier in CheckedUpload.objects.filter(owner=owner, kind=kind):
        _discard(earlier)
    kept = CheckedUpload(
        token=secrets.token_urlsafe(32),
        owner=owner,
        kind=kind,
        file_name=file_name[:255],
        sha256=_sha256(content),
        expires_at=timezone.now() + KEPT_FOR,
    )
    kept.file.save(kept.token, ContentFile(content), save=False)
    kept.save()
    logger.info("checked upload %s kept: %s bytes", kept.pk, len(content))
    return kept


def kept_file(*, owner, kind: str, token: str) -> ChosenFile | None:
    """The file kept under `token`, if it is `owner`'s, of this kind, not expired and unchanged."""
    kept = CheckedUpload.objects.filter(token=token, owner=owner, kind=kind, expires_at__gt=timezone.now()).first()
    if kept is None:
        return None
    try:
        with kept.file.open("rb") as stored:
            content = stored.read()
    except FileNotFoundError:
        logger.warning("checked upload %s: its file is missing", kept.pk)
        return None
    if _sha256(content) != kept.sha256:
        logger.warning("checked upload %s: its file changed since the check", kept.pk)
        return None
    return ChosenFile(content=content, file_name=kept.file_name, kept=kept)


def chosen_file(form: KeepsCheckedFile, *, owner, kind: str) -> ChosenFile | None:
    """The valid form's file: the one chosen now, or the one kept at the check. None, with the form
    told to have the file chosen again, when the kept one is not there for this person."""
    if "file" in form.fields:
        upload = form.cleaned_data["file"]
        return ChosenFile(content=upload.read(), file_name=upload.name, kept=None)
    chosen = kept_file(owner=owner, kind=kind, token=form.cleaned_data[TOKEN_FIELD])
    if chosen is None:
        form.add_error(None, NOT_KEPT)
    return chosen


def checked_and_kept(chosen: ChosenFile, *, owner, kind: str) -> CheckedUpload:
    """After a check that found nothing wrong: the kept file, for "Load this file"."""
    if chosen.kept is not None:
        return chosen.kept
    return upload_keep(owner=owner, kind=kind, content=chosen.content, file_name=chosen.file_name)


def form_to_show(form: KeepsCheckedFile) -> KeepsCheckedFile:
    """The upload form for the page: the one posted, or after "Load this file" (posted without a file
    field) an empty one, to choose the file again if the kept one is gone."""
    if "file" in form.fields:
        return form
    answers = getattr(form, "cleaned_data", {})
    return type(form)(initial={name: value for name, value in answers.items() if name != TOKEN_FIELD})


def upload_done(chosen: ChosenFile) -> None:
    """The kept file was loaded (or refused by the load): nobody needs it again."""
    if chosen.kept is not None:
        _discard(chosen.kept)


@dataclass
class UploadOutcome:
    """What `check_or_load` did with a posted upload, for the page to show."""

    summary: object = None  # what the import's check (or load) found
    errors: list | None = None  # a refused file's problems, row by row
    kept: CheckedUpload | None = None  # a file that passed "Check only", kept for "Load this file"
    loaded: bool = False  # loaded: the page says so and moves on


def check_or_load(request, form: KeepsCheckedFile, *, kind: str, run_import) -> UploadOutcome:
    """Every upload page's one flow. A valid form's file (chosen now, or kept at the check) is checked,
    or loaded when the IMPORT button was pressed, by `run_import(content=, file_name=, dry_run=)`, which
    returns a summary or raises ImportRefused (all or nothing). A kept file goes once it is loaded or
    refused; a check that finds nothing wrong keeps the file for "Load this file"."""
    outcome = UploadOutcome()
    chosen = chosen_file(form, owner=request.user, kind=kind) if form.is_valid() else None
    if chosen is None:
        return outcome
    dry_run = request.POST.get("mode") != IMPORT
    try:
        outcome.summary = run_import(content=chosen.content, file_name=chosen.file_name, dry_run=dry_run)
    except ImportRefused as refused:
        outcome.errors = refused.errors
        upload_done(chosen)
        return outcome
    if dry_run:
        outcome.kept = checked_and_kept(chosen, owner=request.user, kind=kind)
    else:
        upload_done(chosen)
        outcome.loaded = True
    return outcome


def upload_page_context(form: KeepsCheckedFile, outcome: UploadOutcome) -> dict:
    """What every upload page's template needs from the flow: the check's summary or the refused rows
    (templates/includes/import_errors.html), the kept file, the form to show and the buttons' values."""
    return {
        "summary": outcome.summary,
        "kept": outcome.kept,
        "upload_form": form_to_show(form),
        "CHECK": CHECK,
        "IMPORT": IMPORT,
        **errors_context(outcome.errors),
    }


def uploads_purge() -> int:
    """Nightly: remove the checked files nobody loaded before they expired. How many went."""
    removed = 0
    for kept in CheckedUpload.objects.filter(expires_at__lte=timezone.now()).iterator():
        with transaction.atomic():
            _discard(kept)
        removed += 1
    return removed
