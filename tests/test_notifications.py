import pytest
from django.urls import reverse

from quality.org.models import Notification, Role

pytestmark = pytest.mark.django_db


def test_a_person_sees_only_their_own_notifications(client, make_person, own_area):
    me, other = make_person(Role.PRACTITIONER, own_area), make_person(Role.PRACTITIONER, own_area)
    Notification.objects.create(recipient=me.user, subject="Audit submitted: case C-1")
    Notification.objects.create(recipient=other.user, subject="Audit submitted: case C-2")
    client.force_login(me.user)
    page = client.get(reverse("notification_list")).content.decode()
    assert "case C-1" in page and "case C-2" not in page


def test_marking_all_as_read_touches_only_my_unread_notifications(client, make_person, own_area):
    me, other = make_person(Role.PRACTITIONER, own_area), make_person(Role.PRACTITIONER, own_area)
    mine = Notification.objects.create(recipient=me.user, subject="Mine")
    theirs = Notification.objects.create(recipient=other.user, subject="Theirs")
    client.force_login(me.user)
    response = client.post(reverse("notifications_mark_read"))
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    home = client.get(reverse("home")).content.decode()
    assert "Mine" not in home


def test_a_person_with_no_role_cannot_see_the_notifications_page(client, db):
    from tests.factories import PersonFactory

    client.force_login(PersonFactory().user)
    assert client.get(reverse("notification_list")).status_code == 403
