from django.urls import path

from . import views

app_name = "mfa"

urlpatterns = [
    path("", views.account, name="account"),
    path("code/", views.verify, name="verify"),
    path("set-up/", views.enrol, name="enrol"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("recovery-codes/download/", views.recovery_codes_download, name="recovery_codes_download"),
    path("remove/", views.remove, name="remove"),
    path("people/<int:pk>/reset/", views.reset, name="reset"),
]
