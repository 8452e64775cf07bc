"""The second-factor pages: the code after the password, setting up, recovery codes, removing.

The code, set-up and recovery-code pages belong to signing in: like the password pages they concern
only the signed-in person's own account, so they need a sign-in, not a role. Resetting someone
else's is managing people (quality/access.py, MANAGE_ORGANISATION).
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from quality.access import Action, get_for, require
from quality.forms import call_service
from quality.org.models import Person

from . import messages as texts
from . import qr, rules, services
from .forms import CodeForm, ReasonForm, SetUpForm
from .models import RecoveryCodeDevice

NEW_CODES = "mfa_new_recovery_codes"  # shown once, then dropped from the session


def _next_url(request) -> str:
    """Where the person was going before the second factor was asked (only one of our own pages)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("home")


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def verify(request):
    if rules.is_verified(request):
        return redirect(_next_url(request))
    if not rules.is_enrolled(request.user):
        return redirect(f"{reverse('mfa:enrol')}?{urlencode({'next': _next_url(request)})}")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        outcome = services.second_factor_verify(request=request, code=form.cleaned_data["code"])
        if outcome is services.Outcome.LOCKED:
            messages.error(request, texts.TOO_MANY_CODES)
            return redirect("login")
        if outcome is services.Outcome.RECOVERY_CODE:
            left = RecoveryCodeDevice.objects.get(user=request.user).codes_left()
            messages.warning(request, texts.RECOVERY_CODE_USED.format(left=left))
        if outcome is not services.Outcome.WRONG:
            return redirect(_next_url(request))
        form.add_error("code", texts.CODE_WRONG)
    return render(request, "mfa/verify.html", {"form": form, "next": _next_url(request)})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def enrol(request):
    # Someone with an authenticator proves it before anything else: a password alone must never be
    # enough to put a new authenticator in place of the old one.
    if rules.is_enrolled(request.user):
        return redirect("mfa:account" if rules.is_verified(request) else "mfa:verify")
    device = services.totp_device_pending(user=request.user)
    form = SetUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = call_service(form, services.second_factor_enrol, request=request, device=device, **form.cleaned_data)
        if codes:
            request.session[NEW_CODES] = codes
            return redirect(f"{reverse('mfa:recovery_codes')}?{urlencode({'next': _next_url(request)})}")
    context = {
        "form": form,
        "qr_code": qr.svg(device.config_url),
        "secret": services.secret_for_typing(device),
        "next": _next_url(request),
        "required": rules.second_factor_required(request.user),
    }
    return render(request, "mfa/enrol.html", context)


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def recovery_codes(request):
    """The new codes, shown until the person says they have kept them (POST), then never again."""
    codes = request.session.get(NEW_CODES)
    if request.method == "POST" or not codes:
        request.session.pop(NEW_CODES, None)
        if not codes:
            messages.info(request, texts.NO_CODES_TO_SHOW)
        return redirect(_next_url(request))
    return render(request, "mfa/recovery_codes.html", {"codes": codes, "next": _next_url(request)})


@never_cache
@login_required
def recovery_codes_download(request):
    codes = request.session.get(NEW_CODES)
    if not codes:
        return redirect("mfa:recovery_codes")
    text = render(request, "mfa/recovery_codes.txt", {"codes": codes}, content_type="text/plain; charset=utf-8")
    text["Content-Disposition"] = 'attachment; filename="case-quality-portal-recovery-codes.txt"'
    return text


@never_cache
@login_required
def account(request):
    """The person's own sign-in security: set up, or remove with a current code."""
    device = RecoveryCodeDevice.objects.filter(user=request.user).first()
    context = {
        "enrolled": rules.is_enrolled(request.user),
        "required": rules.second_factor_required(request.user),
        "codes_left": device.codes_left() if device else 0,
        "form": CodeForm(),
    }
    return render(request, "mfa/account.html", context)


@login_required
@require_POST
def remove(request):
    form = CodeForm(request.POST)
    outcome = services.second_factor_remove(request=request, code=form.data.get("code", ""))
    if outcome is services.Outcome.LOCKED:
        messages.error(request, texts.TOO_MANY_CODES)
        return redirect("login")
    if outcome is services.Outcome.WRONG:
        messages.error(request, texts.CODE_WRONG)
        return redirect("mfa:account")
    messages.success(request, texts.REMOVED)
    return redirect("mfa:account")


@require(Action.MANAGE_ORGANISATION)
@require_http_methods(["GET", "HEAD", "POST"])  # a page asking why, then the change by POST
def reset(request, pk):
    person = get_for(request.user, Action.MANAGE_ORGANISATION, Person.objects.select_related("user"), pk=pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.second_factor_reset(request=request, person=person, reason=form.cleaned_data["reason"])
        messages.success(request, texts.RESET_DONE)
        return redirect(person)
    return render(request, "mfa/reset.html", {"form": form, "person": person})
