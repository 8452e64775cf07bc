from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from quality import views
from quality.auth import InvitationPasswordResetForm, SignInForm

auth_patterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=SignInForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(form_class=InvitationPasswordResetForm),
        name="password_reset",
    ),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]

urlpatterns = [
    path("", views.home, name="home"),
    path("notifications/", views.notification_list, name="notification_list"),
    path("notifications/read/", views.notifications_mark_read, name="notifications_mark_read"),
    path("accounts/", include(auth_patterns)),
    path("org/", include("quality.org.urls")),
    path("audits/", include("audits.urls")),
    # The monthly cycle (issue 4): the case list, the schedule, allocation, deadlines and escalations.
    path("cases/", include("audits.case_urls")),
    path("schedule/", include("audits.schedule_urls")),
    path("allocation/", include("audits.allocation_urls")),
    path("escalations/", include("audits.escalation_urls")),
    path("moderation/", include("moderation.urls")),
    path("performance/", include("performance.urls")),
    path("reports/", include("quality.reports.urls")),
    path("django-admin/", admin.site.urls),
]
