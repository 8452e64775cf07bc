"""Production settings pass `check --deploy`, refuse to start without secrets; responses carry security headers."""

import os
import secrets
import string
import subprocess
import sys

import pytest
from django.conf import settings

MANAGE = settings.BASE_DIR / "manage.py"


def run_python(args, env):
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args],
        cwd=settings.BASE_DIR,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def random_secret_key(length=60):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    return "".join(secrets.choice(alphabet) for _ in range(length))


@pytest.fixture
def database_url():
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.fail("DATABASE_URL is not set: run the tests through scripts/with-test-services.sh")
    return url


def production_env(database_url, **overrides):
    env = {
        "DJANGO_SETTINGS_MODULE": "quality.settings.production",
        "SECRET_KEY": random_secret_key(),
        "ALLOWED_HOSTS": "portal.example",
        "DATABASE_URL": database_url,
        "EMAIL_URL": "smtp+tls://portal:secret@smtp.example:587",  # never connected to by `check`
    }
    env.update(overrides)
    return {name: value for name, value in env.items() if value is not None}


def test_production_settings_pass_the_deployment_checks_without_warnings(database_url):
    result = run_python([str(MANAGE), "check", "--deploy", "--fail-level", "WARNING"], production_env(database_url))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [None, "", random_secret_key(49)],
    ids=["missing", "empty", "too short"],
)
def test_production_settings_refuse_to_start_without_a_proper_secret_key(database_url, secret_key):
    result = run_python([str(MANAGE), "check"], production_env(database_url, SECRET_KEY=secret_key))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "email_url",
    [None, "", "consolemail://", "filemail:///tmp/mail", "memorymail://", "dummymail://"],
    ids=["missing", "empty", "console", "file", "memory", "dummy"],
)
def test_production_settings_refuse_to_start_without_a_mail_server(database_url, email_url):
    result = run_python([str(MANAGE), "check"], production_env(database_url, EMAIL_URL=email_url))

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "EMAIL_URL" in result.stderr


def test_production_settings_send_by_smtp_with_a_timeout(database_url):
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.EMAIL_BACKEND, settings.EMAIL_HOST, settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT)"
    )
    result = run_python(["-c", code], production_env(database_url))

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "smtp.example", "True", "10"]


def test_every_setting_bounds_how_long_smtp_may_wait():
    assert settings.EMAIL_TIMEOUT == 10  # base.py: a hung mail server never holds a worker or a request


def test_with_no_environment_the_local_settings_use_sqlite_and_an_in_memory_broker():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.DATABASES['default']['ENGINE']); print(settings.CELERY_BROKER_URL)"
    )
    result = run_python(["-c", code], {"DJANGO_SETTINGS_MODULE": "quality.settings.local"})

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "memory://"]


def content_security_policy(response):
    directives = {}
    for directive in response["Content-Security-Policy"].split(";"):
        name, *sources = directive.split()
        directives[name] = sources
    return directives


def test_pages_carry_a_content_security_policy_without_inline_scripts(either_side_of_sign_in):
    policy = content_security_policy(either_side_of_sign_in)

    assert either_side_of_sign_in.status_code == 200
    assert policy["default-src"] == ["'self'"]
    scripts = policy.get("script-src", policy["default-src"])
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert policy["frame-ancestors"] == ["'none'"]


def test_pages_carry_the_framing_sniffing_and_referrer_headers(either_side_of_sign_in):
    assert either_side_of_sign_in["X-Frame-Options"] == "DENY"
    assert either_side_of_sign_in["X-Content-Type-Options"] == "nosniff"
    assert either_side_of_sign_in["Referrer-Policy"] == "same-origin"
