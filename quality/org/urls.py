from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("service-areas/", views.service_area_list, name="service_area_list"),
    path("service-areas/new/", views.service_area_create, name="service_area_create"),
    path("service-areas/<int:pk>/", views.service_area_detail, name="service_area_detail"),
    path("service-areas/<int:pk>/edit/", views.service_area_edit, name="service_area_edit"),
    path("service-areas/<int:pk>/retire/", views.service_area_retire, name="service_area_retire"),
    path("service-areas/<int:pk>/reactivate/", views.service_area_reactivate, name="service_area_reactivate"),
    path("service-areas/<int:area_pk>/teams/new/", views.team_create, name="team_create"),
    path("teams/<int:pk>/edit/", views.team_edit, name="team_edit"),
    path("people/", views.person_list, name="person_list"),
    path("people/new/", views.person_create, name="person_create"),
    path("people/<int:pk>/", views.person_detail, name="person_detail"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/deactivate/", views.person_set_active, {"active": False}, name="person_deactivate"),
    path("people/<int:pk>/reactivate/", views.person_set_active, {"active": True}, name="person_reactivate"),
    path("people/<int:pk>/invite/", views.person_invite, name="person_invite"),
    path("people/<int:pk>/roles/new/", views.membership_add, name="membership_add"),
    path("roles/<int:pk>/end/", views.membership_end, name="membership_end"),
    # The quarterly access review (quality/org/access_review.py).
    path("access-review/", views.access_review_page, name="access_review"),
    path("access-review/export/", views.access_review_export, name="access_review_export"),
    path("access-review/<int:pk>/decide/", views.access_review_decide, name="access_review_decide"),
]
