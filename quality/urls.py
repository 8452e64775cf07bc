from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from quality import auth, sso, views
from quality.auth import SignInForm
from quality.ops import views as ops_views
from quality.ops.metrics_views import metrics_view

auth_patterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-reset/", auth.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    # A new person's invitation (quality/org/invitations.py): a one-time link to choose a first password.
    path("invitation/<uidb64>/<token>/", auth.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("password-change/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

# Single sign-on (quality/sso.py): always mounted, and answering 404 until SSO_CONFIGURED. The names are
# mozilla-django-oidc's own, which its back end reverses to build the redirect URI.
sso_patterns = [
    path("authenticate/", sso.SignInStartView.as_view(), name="oidc_authentication_init"),
    path("callback/", sso.CallbackView.as_view(), name="oidc_authentication_callback"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("accounts/", include(auth_patterns)),
    path("accounts/second-factor/", include("quality.mfa.urls")),
    path("oidc/", include(sso_patterns)),
    path("org/", include("quality.org.urls")),
    path("audits/", include("audits.urls")),
    # The monthly cycle (issue 4): the case list, the schedule, allocation, deadlines and escalations.
    path("cases/", include("audits.cycle.case_urls")),
    path("schedule/", include("audits.cycle.schedule_urls")),
    path("allocation/", include("audits.cycle.allocation_urls")),
    path("escalations/", include("audits.cycle.escalation_urls")),
    path("moderation/", include("moderation.urls")),
    path("performance/", include("performance.urls")),
    path("complaints/", include("evidence.complaints.urls")),
    path("families/", include("evidence.families.urls")),
    path("observations/", include("evidence.observations.urls")),
    path("", include("evidence.voices.urls")),  # surveys/ (the QA unit) and s/<token>/ (public)
    path("reports/", include("quality.reports.urls")),
    # The evaluation (issue 19): every source of evidence side by side, per service area and practice theme.
    path("evaluation/", include("quality.evaluation.urls")),
    path("security/", include("quality.security.urls")),
    # For the Prometheus scraper, with its bearer token; off (404) until METRICS_TOKEN is set (docs/deploy.md).
    path("metrics", metrics_view, name="metrics"),
    # For load balancers and monitoring: public on purpose (quality/ops/views.py), no trailing slash.
    path("healthz", ops_views.healthz, name="healthz"),
]

# Every refusal (PermissionDenied from any view) is answered, and recorded, in one place.
handler403 = "quality.security.views.permission_denied"

# Django's admin has no lock-out nor second factor of its own: it signs in through the portal's page,
# and production mounts it only when ADMIN_ENABLED says so (docs/security.md).
admin.site.login = auth.admin_login


def admin_patterns() -> list:
    return [path("django-admin/", admin.site.urls)] if settings.ADMIN_ENABLED else []


urlpatterns += admin_patterns()
