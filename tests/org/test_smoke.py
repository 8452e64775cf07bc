from django.urls import reverse

from quality.org.models import Role


def test_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_administrator_sees_service_area_list(client, admin_person, own_area):
    client.force_login(admin_person.user)
    response = client.get(reverse("org:service_area_list"))
    assert response.status_code == 200
    assert b"Social Work with Families" in response.content


def test_practitioner_sees_only_own_area(client, make_person, own_area, other_area):
    person = make_person(Role.PRACTITIONER, own_area)
    client.force_login(person.user)
    response = client.get(reverse("org:service_area_list"))
    assert b"Social Work with Families" in response.content
    assert b"Pathways Through Care" not in response.content
