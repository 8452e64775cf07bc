"""Where the portal keeps the files it builds and the uploads it holds (docs/deploy.md, "Files shared
between machines"): STORAGES["default"], chosen by the environment for every settings module.

FILE_STORAGE=local (the default) keeps them under MEDIA_ROOT: right for one machine, where the web
process and the worker share that folder. FILE_STORAGE=s3 keeps them in an S3-compatible bucket, so a
PDF a worker builds on one machine is downloaded through a web server on another.

Either way nothing is ever served by a URL of the store: a view checks who asks, then streams the
file from the storage (`row.file.open("rb")`). So the bucket stays private, and this module reads
only settings, never Django's models (settings modules import it).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

LOCAL, S3 = "local", "s3"
LOCAL_BACKEND = "django.core.files.storage.FileSystemStorage"
S3_BACKEND = "storages.backends.s3.S3Storage"
# A download larger than this is spooled to a temporary file while the web process streams it,
# instead of being held in memory (a long PDF pack is a few megabytes).
S3_DOWNLOAD_MEMORY_BYTES = 10 * 1024 * 1024

# The environment's names for S3Storage's options. Only the bucket is required: without keys boto3
# takes the machine's own credentials (an instance role), without an endpoint it talks to AWS.
S3_OPTIONS_FROM_ENV = {
    "bucket_name": "AWS_STORAGE_BUCKET_NAME",
    "endpoint_url": "AWS_S3_ENDPOINT_URL",  # a council's own S3-compatible store (MinIO, Ceph...)
    "region_name": "AWS_S3_REGION_NAME",
    "access_key": "AWS_ACCESS_KEY_ID",
    "secret_key": "AWS_SECRET_ACCESS_KEY",
    "addressing_style": "AWS_S3_ADDRESSING_STYLE",  # "path" for a store without bucket subdomains
}


def default_storage_setting(env) -> dict:
    """STORAGES["default"] as the environment `env` (a django-environ Env) asks for it."""
    choice = env("FILE_STORAGE", default=LOCAL).strip().lower()
    if choice == LOCAL:
        return {"BACKEND": LOCAL_BACKEND}
    if choice == S3:
        return {"BACKEND": S3_BACKEND, "OPTIONS": s3_options(env)}
    raise ImproperlyConfigured(f'FILE_STORAGE must be "{LOCAL}" or "{S3}", not {choice!r}.')


def s3_options(env) -> dict:
    """S3Storage's options: the bucket and its connection from the environment, and the rules that
    keep the files private and every file whole."""
    given = {option: env(name, default="").strip() for option, name in S3_OPTIONS_FROM_ENV.items()}
    if not given["bucket_name"]:
        raise ImproperlyConfigured(
            "FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME, the private bucket the portal keeps its files in."
        )
    return {option: value for option, value in given.items() if value} | {
        # Objects get no ACL of their own: the bucket's (private) applies, and nothing is public.
        "default_acl": None,
        # Any URL the storage makes is signed and short-lived (the portal hands out none: views stream).
        "querystring_auth": True,
        "querystring_expire": 300,
        # Two workers saving a file of the same name keep both: the second gets a new name.
        "file_overwrite": False,
        "max_memory_size": S3_DOWNLOAD_MEMORY_BYTES,
    }
