"""The demo's people have an authenticator, and `demo_code` prints the code it shows now (demo only)."""

import pytest
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from quality.mfa import demo
from quality.org.models import Role
from tests.factories import person_with_role

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_today")]


def test_every_demo_person_gets_one_authenticator_and_its_code_is_accepted_once(capsys):
    person = person_with_role(Role.QA_LEAD, None, user__email=f"qa@{demo.DEMO_DOMAIN}")
    demo.load()
    demo.load()
    device = TOTPDevice.objects.get(user=person.user)
    call_command("demo_code", person.user.email)
    code = capsys.readouterr().out.strip()
    assert len(code) == 6
    assert device.verify_token(code)
    assert not device.verify_token(code)  # a code is good once


def test_nobody_else_has_a_demo_code():
    outsider = person_with_role(Role.QA_LEAD, None, user__email="qa@real-council.gov.uk")
    demo.load()
    assert not TOTPDevice.objects.filter(user=outsider.user, name=demo.DEVICE_NAME).exists()
    with pytest.raises(CommandError):
        call_command("demo_code", outsider.user.email)
