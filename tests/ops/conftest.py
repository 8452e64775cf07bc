"""Fixtures shared by the operations tests: a real S3-compatible server on loopback (moto in server
mode, a process of its own for the whole session) and Django's file storage switched to a fresh
bucket on it for one test."""

from __future__ import annotations

import itertools
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import boto3
import environ
import pytest
import redis
from django.conf import settings

from quality.ops.storage import default_storage_setting
from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parents[2]
PYTHON = ROOT / ".venv" / "bin" / "python"
S3_START_TIMEOUT = 60  # importing moto's server takes a few seconds on a busy machine
S3_STOP_TIMEOUT = 10
REGION = "eu-west-2"
_bucket_numbers = itertools.count(1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # a server answered, whatever it said
    except OSError:
        return False


@dataclass(frozen=True)
class S3Server:
    """The S3-compatible server the suite started, and the keys it is spoken to with (moto takes any)."""

    endpoint: str
    access_key: str = "portal-test-key"
    secret_key: str = "portal-test-secret"

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
        )

    def new_bucket(self) -> str:
        name = f"portal-files-{next(_bucket_numbers)}"
        self.client().create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
        return name

    def environ(self, bucket: str) -> dict[str, str]:
        """The environment a portal process is given to keep its files in `bucket` (docs/deploy.md)."""
        return {
            "FILE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": bucket,
            "AWS_S3_ENDPOINT_URL": self.endpoint,
            "AWS_S3_REGION_NAME": REGION,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
        }


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server in its own process on a free loopback port, for the whole session."""
    port = free_port()
    log = tmp_path_factory.mktemp("s3") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [str(PYTHON), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            cwd=ROOT,
            env=real_clock_environ(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        server = S3Server(endpoint=f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + S3_START_TIMEOUT
        while not answers(server.endpoint):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the S3 server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=S3_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class S3Bucket:
    """A fresh bucket on the suite's S3 server: what it holds, read with the server's own client."""

    server: S3Server
    name: str

    def keys(self) -> set[str]:
        listing = self.server.client().list_objects_v2(Bucket=self.name)
        return {item["Key"] for item in listing.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.server.client().get_object(Bucket=self.name, Key=key)["Body"].read()

    def environ(self) -> dict[str, str]:
        return self.server.environ(self.name)


def storage_setting_for(bucket: S3Bucket) -> dict:
    """STORAGES["default"] as the portal's settings make it from the environment naming `bucket`."""
    env = environ.Env()
    env.ENVIRON = bucket.environ()
    return default_storage_setting(env)


@pytest.fixture
def s3_bucket(s3_server) -> S3Bucket:
    return S3Bucket(server=s3_server, name=s3_server.new_bucket())


@pytest.fixture
def s3_storage(settings, s3_bucket) -> S3Bucket:
    """Django's default storage on a fresh bucket for this test, as FILE_STORAGE=s3 sets it up.
    Changing STORAGES through `settings` resets Django's cached storages (django.test.signals), and
    again when the test ends."""
    settings.STORAGES = {**settings.STORAGES, "default": storage_setting_for(s3_bucket)}
    return s3_bucket


@pytest.fixture
def redis_client():
    """The test run's Redis broker, its two queue lists emptied before and after the test."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete("celery", "builds")
    try:
        yield client
    finally:
        client.delete("celery", "builds")
        client.close()
