"""Where the portal keeps its files, chosen by the environment (quality/ops/storage.py): the local
disk by default, or a private S3-compatible bucket, the same in every settings module; a setting that
cannot work stops the portal at start, with a message that says what to set."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import environ
import pytest
from django.core.exceptions import ImproperlyConfigured

from quality.ops.storage import default_storage_setting
from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
BUCKET = {"FILE_STORAGE": "s3", "AWS_STORAGE_BUCKET_NAME": "council-portal-files"}
PRODUCTION = {
    "SECRET_KEY": "x" * 64,
    "ALLOWED_HOSTS": "portal.example.gov.uk",
    "EMAIL_URL": "smtp+tls://portal:secret@smtp.example.gov.uk:587",
}
SHOW_SETTINGS = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'STORAGES': settings.STORAGES, 'MEDIA_ROOT': str(settings.MEDIA_ROOT)}))"
)


def setting_from(variables: dict[str, str]) -> dict:
    env = environ.Env()
    env.ENVIRON = variables
    return default_storage_setting(env)


def portal_environ(**variables: str) -> dict[str, str]:
    """This machine's environment without any storage choice of its own, plus `variables`."""
    ours = ("FILE_STORAGE", "MEDIA_ROOT", "AWS_", "DJANGO_SETTINGS_MODULE")
    kept = {key: value for key, value in real_clock_environ().items() if not key.startswith(ours)}
    return kept | variables


def test_the_local_disk_is_the_default():
    assert setting_from({}) == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert setting_from({"FILE_STORAGE": "local"}) == setting_from({})


def test_s3_takes_the_bucket_and_its_connection_from_the_environment_and_keeps_every_file_private_and_whole():
    setting = setting_from(
        BUCKET
        | {
            "AWS_S3_ENDPOINT_URL": "https://s3.council.example",
            "AWS_S3_REGION_NAME": "eu-west-2",
            "AWS_ACCESS_KEY_ID": "key-id",
            "AWS_SECRET_ACCESS_KEY": "secret",
        }
    )

    assert setting["BACKEND"] == "storages.backends.s3.S3Storage"
    options = setting["OPTIONS"]
    assert {name: options[name] for name in ("bucket_name", "endpoint_url", "region_name")} == {
        "bucket_name": "council-portal-files",
        "endpoint_url": "https://s3.council.example",
        "region_name": "eu-west-2",
    }
    assert (options["access_key"], options["secret_key"]) == ("key-id", "secret")
    assert options["default_acl"] is None and options["querystring_auth"] is True
    assert options["file_overwrite"] is False


def test_s3_without_keys_leaves_them_to_the_machines_own_credentials():
    options = setting_from(BUCKET)["OPTIONS"]

    assert not {"access_key", "secret_key", "endpoint_url", "region_name"} & set(options)


def test_s3_without_a_bucket_is_refused_with_what_to_set():
    with pytest.raises(ImproperlyConfigured, match="FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"):
        setting_from({"FILE_STORAGE": "s3", "AWS_S3_REGION_NAME": "eu-west-2"})


def test_an_unknown_storage_is_refused():
    with pytest.raises(ImproperlyConfigured, match='FILE_STORAGE must be "local" or "s3", not \'ftp\''):
        setting_from({"FILE_STORAGE": "ftp"})


def settings_of(module: str, **variables: str) -> dict:
    """STORAGES and MEDIA_ROOT as a new process loading `module` with `variables` set sees them."""
    result = subprocess.run(
        [str(PYTHON), "-c", f"import django; django.setup(); {SHOW_SETTINGS}"],
        cwd=ROOT,
        env=portal_environ(DJANGO_SETTINGS_MODULE=module, **variables),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.mark.parametrize(
    ("module", "variables", "static_files"),
    [
        ("quality.settings.local", {}, "django.contrib.staticfiles.storage.StaticFilesStorage"),
        ("quality.settings.test", {}, "django.contrib.staticfiles.storage.StaticFilesStorage"),
        ("quality.settings.production", PRODUCTION, "whitenoise.storage.CompressedManifestStaticFilesStorage"),
    ],
)
def test_every_settings_module_keeps_files_where_file_storage_says_and_its_own_static_files(
    module, variables, static_files, tmp_path
):
    on_s3 = settings_of(module, **variables, **BUCKET)
    on_disk = settings_of(module, **variables, MEDIA_ROOT=str(tmp_path / "media"))

    assert on_s3["STORAGES"]["default"] == setting_from(BUCKET)
    assert on_disk["STORAGES"]["default"] == setting_from({})
    assert on_s3["STORAGES"]["staticfiles"] == on_disk["STORAGES"]["staticfiles"] == {"BACKEND": static_files}
    assert on_disk["MEDIA_ROOT"] == str(tmp_path / "media")


def test_the_portal_does_not_start_on_s3_without_a_bucket():
    result = subprocess.run(
        [str(PYTHON), "manage.py", "check"],
        cwd=ROOT,
        env=portal_environ(DJANGO_SETTINGS_MODULE="quality.settings.production", FILE_STORAGE="s3", **PRODUCTION),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "ImproperlyConfigured: FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME" in result.stderr
