"""The multi-process rehearsal (issue 17, docs/deploy.md "The rehearsal"): the portal spread out as a
council runs it, on one machine, and a month driven through it over HTTP.

    .venv/bin/python scripts/rehearsal.py [--work-dir DIR] [--keep]

Run as root (the throwaway PostgreSQL is started as the postgres user, as `make test` does, so the
postgres user must be able to reach the work dir: the default, in /tmp, is made so). Exit code
0 only if every check passes. It prints what it does and each check with PASS or FAIL; the logs of
every process it started stay in the work dir (its path is printed; a temporary one is removed at the
end unless --keep or a check failed; one given with --work-dir is kept).

What it starts, each on a free loopback port and in a folder of its own under the work dir, all
stopped at the end (in a `finally`, so also on Ctrl-C or a TERM):
- PostgreSQL and Redis (scripts/services.sh), and an S3-compatible server (moto in server mode) with
  a private bucket: every portal process has FILE_STORAGE=s3 against it;
- `manage.py migrate` once (as a release does) beside `collectstatic` (into the work dir), then the
  demo council (`load_demo`) while the portal's processes start;
- two gunicorn web servers (production settings, behind a pretend TLS proxy: X-Forwarded-Proto),
  two Celery workers with different --hostname and separate MEDIA_ROOT folders, and two beats with
  separate schedule files, both with `--scheduler quality.ops.beat:SingleBeatScheduler`.

What it drives, as people do, through the log-in page (CSRF, and the authenticator's code for the
roles that need one, computed from the demo device as `manage.py demo_code` does):
- the QA lead presses "Propose now" for next month on both web servers at once; then distributes;
- the daily jobs (reminders, due reports) are queued twice at once, as two beats would;
- a practice manager answers and submits an audit of that allocation, and asks for its PDF;
- the QA lead asks for a report's PDF on web server 1 and downloads it from web server 2 (the bytes
  are a PDF, with the SHA-256 the page shows);
- more PDFs are asked for, and the worker building one is killed (SIGKILL to its process group)
  half-way through: the database shows which worker holds a built-file row's lock.

Why the sweep, and not Celery, recovers the killed worker's PDF: tasks are acknowledged late
(CELERY_TASK_ACKS_LATE), but a worker killed whole leaves its message unacknowledged in Redis until
the transport's visibility timeout (an hour) gives it back; `task_reject_on_worker_lost` only helps
when a pool child dies under a living parent. The row it was building stays "queued" (its lock went
with the connection), so beat's sweep (quality/built_files.py `build_stranded_files`) builds it on
the surviving worker. In production the sweep runs every 10 minutes for rows queued for 5; here
BUILD_SWEEP_EVERY_SECONDS and BUILD_STRANDED_AFTER_SECONDS (quality/settings/base.py) make that seconds.

The checks: one allocation for the month; one set of reminders (the two runs together sent as many
as were recorded, each once); one report per period; the audit submitted; every PDF asked for built
(ready, its object in the bucket, no second copy), the killed worker's by the sweep on the other
worker; the report PDF
downloaded from the other web server matches; one beat ticking (the one beat whose log says it took
the lock is the only one that sent jobs, and the fresh heartbeat is its); /healthz answers 200 on both
web servers.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import boto3
import requests

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
REGION = "eu-west-2"
BUCKET = "portal-files"
S3_KEYS = {"AWS_ACCESS_KEY_ID": "rehearsal-key", "AWS_SECRET_ACCESS_KEY": "rehearsal-secret"}
QA_LEAD = "qa.lead@council.example"
START_TIMEOUT = 90  # seconds for a server to answer: imports are slow on a busy machine
WAIT_TIMEOUT = 90  # seconds for the portal to finish a piece of work
STOP_TIMEOUT = 10
STRANDED_AFTER_SECONDS = 4  # the rehearsal's BUILD_STRANDED_AFTER_SECONDS
SWEEP_EVERY_SECONDS = 2  # the rehearsal's BUILD_SWEEP_EVERY_SECONDS
# quality/ops/beat.py's line when a beat takes the lock; the others say they are standing by.
BEAT_TOOK_LOCK = re.compile(r"beat: holding the lock on ")
# What a TLS-terminating proxy adds: production's cookies are Secure, and it redirects plain HTTP.
PROXY_HEADERS = {"X-Forwarded-Proto": "https"}
HEALTH_WAIT_SECONDS = 15
SWEEP_TASK = "quality.built_files.build_stranded_files"
HEARTBEAT_FRESH_SECONDS = 60  # the leader records one at least every 30 s (quality/ops/beat.py)


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(what: str, condition: Callable[[], object], timeout: float = WAIT_TIMEOUT, every: float = 0.25):
    """Poll `condition` until it returns something true (returned), or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what} after {timeout:.0f} s")
        time.sleep(every)


# -- the processes --


@dataclass
class Process:
    """A process the rehearsal started, in a process group of its own (so a kill takes its children)."""

    name: str
    popen: subprocess.Popen
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def log_records(self) -> list[dict]:
        """The JSON log lines (production logs JSON: quality/settings/production.py), as dicts."""
        records = []
        for line in self.log_text().splitlines():
            if line.startswith("{"):
                with contextlib.suppress(ValueError):
                    records.append(json.loads(line))
        return records

    def kill_group(self, sig: int = signal.SIGKILL) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, sig)

    def stop(self) -> None:
        """TERM to the group, then (once `wait` has given it its time) KILL to whatever is left."""
        if self.popen.poll() is None:
            self.kill_group(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.popen.wait(timeout=max(deadline - time.monotonic(), 0))
        self.kill_group(signal.SIGKILL)  # the leader, or children it left behind
        self.popen.wait()


@dataclass
class Rehearsal:
    work: Path
    processes: list[Process] = field(default_factory=list)
    stoppers: list[Callable[[], None]] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)

    def start(self, name: str, command: list[str], **extra_env: str) -> Process:
        folder = self.work / name
        folder.mkdir(parents=True, exist_ok=True)
        log = self.work / "logs" / f"{name}.log"
        with log.open("ab") as output:
            popen = subprocess.Popen(  # noqa: S603 (the rehearsal's own commands)
                command,
                cwd=ROOT,
                env={**self.env, **extra_env},
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def run(self, **commands: list[str]) -> None:
        """One-off commands (migrate, collectstatic...), side by side, to completion; each logs to its file."""
        running = {}
        for name, command in commands.items():
            log = self.work / "logs" / f"{name}.log"
            with log.open("ab") as output:
                running[name] = subprocess.Popen(  # noqa: S603 (the rehearsal's own commands)
                    command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
                )
        for name, popen in running.items():
            if popen.wait():
                raise RuntimeError(f"{name} failed (exit {popen.returncode}); see {self.work / 'logs' / name}.log")

    def stop_all(self) -> None:
        """Every process at once (a graceful stop each, within STOP_TIMEOUT), then the services."""
        for process in self.processes:
            process.stop()
        deadline = time.monotonic() + STOP_TIMEOUT
        for process in self.processes:
            process.wait(deadline)
        for stop in reversed(self.stoppers):
            stop()


def services_sh(function: str, *args: str) -> None:
    """A function of scripts/services.sh (start_postgres, stop_redis...), as `make test` uses them."""
    script = f"source scripts/services.sh && {function} {shlex.join(args)}"
    subprocess.run(["bash", "-c", script], cwd=ROOT, check=True)  # noqa: S603, S607 (the project's own script)


def start_services(rehearsal: Rehearsal) -> dict[str, str]:
    """PostgreSQL, Redis and the S3 server, and the environment every portal process shares."""
    work = rehearsal.work
    pg_port, redis_port, s3_port = free_port(), free_port(), free_port()
    pg_dir, redis_dir = work / "postgres", work / "redis"
    os.chmod(work, 0o755)  # noqa: S103 (the postgres user reaches its folder through the work dir)
    rehearsal.stoppers.append(lambda: services_sh("stop_postgres", str(pg_dir)))
    services_sh("start_postgres", str(pg_dir), str(pg_port))
    say(f"PostgreSQL on 127.0.0.1:{pg_port}")
    rehearsal.stoppers.append(lambda: services_sh("stop_redis", str(redis_dir)))
    services_sh("start_redis", str(redis_dir), str(redis_port))
    say(f"Redis on 127.0.0.1:{redis_port}")
    s3 = f"http://127.0.0.1:{s3_port}"
    rehearsal.start("s3", [str(PYTHON), "-m", "moto.server", "-H", "127.0.0.1", "-p", str(s3_port)])
    wait_for("the S3 server", lambda: answers(s3), timeout=START_TIMEOUT)
    client = boto3.client("s3", endpoint_url=s3, region_name=REGION, **lowercase_keys(S3_KEYS))
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    say(f"S3 server (moto) on {s3}, bucket {BUCKET}")
    broker = f"redis://127.0.0.1:{redis_port}/0"
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "quality.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "EMAIL_URL": f"smtp://127.0.0.1:{free_port()}",  # nothing listens: no e-mail must succeed here
        "EMAIL_TIMEOUT": "2",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{pg_port}/quality",
        "CELERY_BROKER_URL": broker,
        "REDIS_URL": broker,
        "FILE_STORAGE": "s3",
        "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": s3,
        "AWS_S3_REGION_NAME": REGION,
        **S3_KEYS,
        "BUILD_STRANDED_AFTER_SECONDS": str(STRANDED_AFTER_SECONDS),
        "BUILD_SWEEP_EVERY_SECONDS": str(SWEEP_EVERY_SECONDS),
        "MPLCONFIGDIR": str(work / "matplotlib"),
        "STATIC_ROOT": str(work / "static"),  # collectstatic's, never the checkout's staticfiles/
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    }


def lowercase_keys(keys: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in keys.items()}


def answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
        return True
    except requests.RequestException:
        return False


def named_database(env: dict[str, str], name: str) -> str:
    """The database URL with an application name, so pg_stat_activity shows which process holds a lock."""
    return f"{env['DATABASE_URL']}?application_name={name}"


def start_portal(rehearsal: Rehearsal) -> dict[str, object]:
    """Two web servers, two workers, two beats (started, not yet ready); returns them by role."""
    work = rehearsal.work
    webs, workers, beats = [], [], []
    for number in (1, 2):
        port = free_port()
        web = rehearsal.start(
            f"web{number}",
            [str(VENV_BIN / "gunicorn"), "quality.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
            + ["--no-control-socket", "--timeout", "60"],
            MEDIA_ROOT=str(work / f"web{number}" / "media"),
            DATABASE_URL=named_database(rehearsal.env, f"web{number}"),
        )
        webs.append((web, f"http://127.0.0.1:{port}"))
    for letter in ("a", "b"):
        name = f"worker-{letter}"
        workers.append(
            rehearsal.start(
                name,
                [str(VENV_BIN / "celery"), "-A", "quality", "worker", "--loglevel=INFO", "--concurrency=1"]
                + [f"--hostname={name}@rehearsal", "-Q", "celery,builds"],
                MEDIA_ROOT=str(work / name / "media"),
                DATABASE_URL=named_database(rehearsal.env, name),
            )
        )
    for number in (1, 2):
        name = f"beat{number}"
        beats.append(
            rehearsal.start(
                name,
                [str(VENV_BIN / "celery"), "-A", "quality", "beat", "--loglevel=INFO"]
                + ["--scheduler", "quality.ops.beat:SingleBeatScheduler"]
                + ["--schedule", str(work / name / "celerybeat-schedule")],
                MEDIA_ROOT=str(work / name / "media"),
                DATABASE_URL=named_database(rehearsal.env, name),
            )
        )
    return {"webs": webs, "workers": workers, "beats": beats}


def wait_until_ready(portal: dict) -> None:
    for web, url in portal["webs"]:
        wait_for(f"{web.name} to answer", lambda url=url: answers(f"{url}/accounts/login/"), timeout=START_TIMEOUT)
        say(f"{web.name}: gunicorn on {url}")
    for worker in portal["workers"]:
        wait_for(f"{worker.name} to be ready", lambda w=worker: " ready." in w.log_text(), timeout=START_TIMEOUT)
        say(f"{worker.name}: Celery worker ready (queues celery and builds, its own MEDIA_ROOT)")
    say("beat1, beat2: Celery beat with the single-beat scheduler (separate schedule files)")


def manage(*arguments: str) -> list[str]:
    return [str(PYTHON), "manage.py", *arguments]


# -- a person at a browser --


class FormParser(HTMLParser):
    """The forms of a page: each one's action and its hidden inputs (CSRF token, revision, form token)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attributes.get("action") or "", "hidden": {}})
        elif tag == "input" and self.forms and attributes.get("type") == "hidden" and attributes.get("name"):
            self.forms[-1]["hidden"][attributes["name"]] = attributes.get("value") or ""


def hidden_fields(page: str, action_ends: str) -> dict[str, str]:
    parser = FormParser()
    parser.feed(page)
    for form in parser.forms:
        action = form["action"].split("?")[0].split("#")[0]
        if action.endswith(action_ends) if action_ends else not action:
            return form["hidden"]
    raise LookupError(f"no form posting to …{action_ends} on the page")


class Browser:
    """One person's browser: a cookie jar (the session cookie is good on both web servers: sessions
    live in the shared database) and the headers a TLS-terminating proxy would add."""

    def __init__(self, who: str):
        self.who = who
        self.http = requests.Session()
        self.http.headers.update(PROXY_HEADERS)

    def get(self, url: str, **kwargs) -> requests.Response:
        return self.http.get(url, timeout=30, **kwargs)

    def post_form(self, page_url: str, action: str, fields: dict) -> requests.Response:
        """Open the page, then post its form whose action ends with `action` ("" for the form that posts
        to the page itself), with the form's hidden fields (CSRF token, revision, form token)."""
        page = self.get(page_url)
        page.raise_for_status()
        parts = urlsplit(page.url)
        origin = f"{parts.scheme}://{parts.netloc}"
        data = {**hidden_fields(page.text, action), **fields}
        return self.post(origin, page.url if action == "" else f"{origin}{action}", data)

    def post(self, origin: str, url: str, data: dict) -> requests.Response:
        # Origin as a browser sends it over https (the proxy's scheme): Django's CSRF check compares it.
        headers = {"Origin": origin.replace("http://", "https://")}
        return self.http.post(url, data=data, headers=headers, timeout=30)

    def sign_in(self, base: str, email: str, password: str, code: Callable[[], str]) -> None:
        """The log-in page, then (if the portal asks) the authenticator's code page."""
        answer = self.post_form(f"{base}/accounts/login/", "", {"username": email, "password": password})
        if "/second-factor/code/" in answer.url:
            answer = self.post_form(answer.url, "", {"code": code()})
        if answer.status_code != 200 or "/accounts/" in answer.url:
            raise RuntimeError(f"{self.who} could not sign in on {base} (ended at {answer.url})")


def send_secure_cookies_over_the_proxy() -> None:
    """Production's cookies are Secure, and the browsers here are behind the pretend TLS proxy: they send
    them on its plain-HTTP leg. requests builds a fresh cookie jar for each request (so a jar's own
    policy is lost): the rule is changed for this process, which is nothing but the rehearsal's browsers."""
    http.cookiejar.DefaultCookiePolicy.return_ok_secure = lambda policy, cookie, request: True


# -- the rehearsal's own view of the database (Django in this process, after the services start) --


def setup_django(env: dict[str, str]) -> None:
    os.environ.update({**env, "DATABASE_URL": named_database(env, "rehearsal")})
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def demo_code(email: str) -> str:
    from quality.mfa.demo import current_code

    return current_code(email)


def demo_password() -> str:
    from quality.org.demo import DEMO_PASSWORD

    return DEMO_PASSWORD


@dataclass
class Checks:
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, passed: bool, detail: str = "") -> bool:
        self.results.append((name, bool(passed), detail))
        say(f"{'PASS' if passed else 'FAIL'} {name}{f': {detail}' if detail else ''}")
        return bool(passed)

    @property
    def all_passed(self) -> bool:
        return bool(self.results) and all(passed for _, passed, _ in self.results)


def month_key(month: date) -> str:
    return f"{month:%Y-%m}"


def next_month(today: date) -> date:
    return (today.replace(day=1) + timedelta(days=32)).replace(day=1)


def log_numbers(processes: list[Process], pattern: str) -> list[int]:
    """The numbers a log line says, e.g. "cycle reminders: (\\d+) sent", over the processes' logs."""
    return [int(found) for process in processes for found in re.findall(pattern, process.log_text())]


def send_twice(task_name: str, *args) -> None:
    """Queue a daily job twice at the same moment, as two beats firing together would."""
    from quality.celery import app

    for _ in range(2):
        app.send_task(task_name, args=list(args))


# -- the month --


def propose_allocation(qa: Browser, webs: list[str], month: date, checks: Checks) -> None:
    from audits.models import Allocation

    say(f"QA lead presses 'Propose now' for {month:%B %Y} on both web servers at once")
    page = f"/allocation/{month_key(month)}/"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers_ = list(pool.map(lambda base: qa.post_form(f"{base}/allocation/", f"{page}propose/", {}), webs))
    checks.check("both 'Propose now' posts accepted", all(a.status_code == 200 for a in answers_))
    wait_for("the proposed allocation", lambda: Allocation.objects.filter(month=month).exists())
    detail = qa.get(f"{webs[1]}{page}")
    distributed = qa.post_form(f"{webs[1]}{page}", f"{page}distribute/", {"confirm": "on"})
    checks.check(
        "the allocation distributed through the page",
        detail.status_code == 200 and "Allocation distributed" in distributed.text,
    )
    count = Allocation.objects.filter(month=month).count()
    checks.check("one allocation for the month", count == 1, f"{count} allocation(s) for {month:%B %Y}")


def submit_audit(base: str, month: date, checks: Checks) -> tuple[Browser, int]:
    """A practice manager answers and submits an audit the allocation gave them; returns them and the audit."""
    from django.utils import timezone

    from audits import services
    from audits.models import Audit
    from quality.org.models import Role

    audit = (
        Audit.objects.filter(allocation_item__allocation__month=month, state=Audit.State.DRAFT)
        .filter(auditor__memberships__role=Role.PRACTICE_MANAGER)
        .select_related("auditor__user")
        .order_by("pk")
        .first()
    )
    if not checks.check("the allocation gave a practice manager an audit", audit is not None):
        raise RuntimeError("nothing to audit")
    email = audit.auditor.user.email
    manager = Browser("practice manager")
    manager.sign_in(base, email, demo_password(), lambda: demo_code(email))
    say(f"practice manager (audit {audit.pk}) signed in on {base}; answers and submits the audit form")
    answers_ = {f"q-{key}": value for key, value in services.seven_area_answers("good", EVIDENCE).items()}
    fields = {"overall_grade": "good", "discussion_held": "true", "discussion_on": f"{timezone.localdate():%d/%m/%Y}"}
    answer = manager.post_form(f"{base}/audits/{audit.pk}/edit/", "", {**answers_, **fields})
    audit.refresh_from_db()
    checks.check(
        "the audit submitted through its form",
        audit.state == Audit.State.SUBMITTED and "Audit submitted" in answer.text,
        f"audit {audit.pk} is {audit.state}",
    )
    return manager, audit.pk


EVIDENCE = "Evidence seen on the file and discussed with the worker."


def report_pdf_across(qa: Browser, webs: list[str], checks: Checks) -> int:
    """A report's PDF asked for on web server 1, downloaded from web server 2. Returns the report's id."""
    from quality.reports.models import Report, ReportDocument

    report = Report.objects.filter(state=Report.State.PUBLISHED).order_by("pk").first()
    path = f"/reports/{report.pk}/download/pdf/"
    say(f"QA lead asks for report {report.pk}'s PDF on web1")
    qa.post_form(f"{webs[0]}{path}", path, {})

    def shown_sha256() -> str | None:
        block = qa.get(f"{webs[0]}{path}", headers={"HX-Request": "true"}).text
        found = re.search(r'data-built-file-state="ready".*?<code[^>]*>([0-9a-f]{64})</code>', block, re.S)
        return found.group(1) if found else None

    shown = wait_for("the report's PDF to be ready (web1's status block)", shown_sha256)
    download = qa.get(f"{webs[1]}{path}")
    body = download.content
    document = ReportDocument.objects.get(report=report, format="pdf", state="ready", sha256=shown)
    checks.check(
        "report PDF asked for on web1, downloaded from web2",
        download.status_code == 200 and body.startswith(b"%PDF-") and hashlib.sha256(body).hexdigest() == shown,
        f"{len(body)} bytes, sha256 {shown[:16]}… as the page shows (document {document.pk})",
    )
    return report.pk


def built_file_models() -> list:
    """Every model of a file a worker builds (quality/built_files.py): audit PDFs, packs, report documents."""
    from django.apps import apps

    from quality.built_files import BuiltFile

    return [model for model in apps.get_models() if issubclass(model, BuiltFile)]


def being_built() -> dict[str, list[tuple[str, int]]]:
    """Which worker is building which built-file row now, by the database: the worker's transaction holds
    the queued row's lock (`FOR UPDATE`, quality/built_files.py `lock_queued`) while it builds, so the
    row's xmax is that transaction's id, which pg_stat_activity shows for the worker's connection
    (named after the worker: `application_name`)."""
    from django.db import connection

    building: dict[str, list[tuple[str, int]]] = {}
    with connection.cursor() as cursor:
        for model in built_file_models():
            table = model._meta.db_table
            cursor.execute(
                f"SELECT a.application_name, t.id FROM {table} t JOIN pg_stat_activity a ON a.backend_xid = t.xmax"  # noqa: S608 (the table name is a model's own)
                " WHERE t.state = 'queued' AND a.application_name LIKE 'worker-%%'"
            )
            for worker, pk in cursor.fetchall():
                building.setdefault(worker, []).append((table, pk))
    return building


def pdf_requests(qa: Browser, manager: Browser, webs: list[str], audit_id: int, skip_report: int) -> list:
    """Several PDFs (and workbooks) to ask for, so that one is being built when a worker is killed: each
    a browser, the page with the button, and where its form posts."""
    from audits.models import Audit
    from quality.reports.models import Report

    asks = [(manager, f"{webs[1]}/audits/{audit_id}/", f"/audits/{audit_id}/pdf/")]
    for report in Report.objects.exclude(pk=skip_report).filter(state=Report.State.PUBLISHED).order_by("pk"):
        for file_format in ("pdf", "xlsx"):
            path = f"/reports/{report.pk}/download/{file_format}/"
            asks.append((qa, f"{webs[0]}{path}", path))
    for audit in Audit.objects.filter(state=Audit.State.CLOSED).order_by("pk")[:2]:
        asks.append((qa, f"{webs[0]}/audits/{audit.pk}/", f"/audits/{audit.pk}/pdf/"))
    return asks


def kill_a_worker_mid_build(workers: list[Process], asks: list, checks: Checks) -> tuple[Process, list]:
    """Ask for the files (in a thread of their own) while watching the database; as soon as a worker is
    building one, SIGKILL that worker's whole process group. Returns it and the rows it was building."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        asking = pool.submit(lambda: [browser.post_form(page, action, {}) for browser, page, action in asks])
        holders = wait_for("a worker to be building a file", being_built, timeout=WAIT_TIMEOUT, every=0.02)
        name, rows = next(iter(holders.items()))
        victim = next(worker for worker in workers if worker.name == name)
        victim.kill_group(signal.SIGKILL)
        victim.popen.wait()
        asking.result()
    tables = {model._meta.db_table: model for model in built_file_models()}
    # Still queued after the kill: the worker died before it could commit the file it was building.
    cut_short = [(table, pk) for table, pk in rows if tables[table].objects.get(pk=pk).state == "queued"]
    checks.check(
        "a worker killed half-way through a build",
        cut_short,
        f"{victim.name} killed (SIGKILL to its process group) while building "
        + ", ".join(f"{table} {pk}" for table, pk in rows),
    )
    return victim, cut_short


def all_built(since) -> list:
    """Every built-file row asked for during the rehearsal, once none is still queued (else None)."""
    rows = [row for model in built_file_models() for row in model.objects.filter(requested_at__gte=since)]
    return rows if rows and all(row.state != "queued" for row in rows) else []


def check_built_files(rehearsal: Rehearsal, since, killed: list[tuple[str, int]], survivor: Process, checks):
    rows = wait_for("every file asked for to be built (the sweep takes the killed worker's)", lambda: all_built(since))
    ready = [row for row in rows if row.state == "ready"]
    checks.check(
        "every PDF and workbook asked for built", len(ready) == len(rows), f"{len(ready)} of {len(rows)} ready"
    )
    client = boto3.client(
        "s3", endpoint_url=rehearsal.env["AWS_S3_ENDPOINT_URL"], region_name=REGION, **lowercase_keys(S3_KEYS)
    )
    keys = [
        item["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        for item in page.get("Contents", [])
    ]
    missing = [row.file.name for row in ready if row.file.name not in keys]
    checks.check(
        "each built file's object is in the bucket",
        not missing,
        f"{len(ready)} objects" if not missing else f"missing {missing}",
    )
    named = {row.file.name for row in ready}
    # A second build of one row would leave an object no row names (file_overwrite is off).
    stems = {re.sub(r"(_[A-Za-z0-9]{7})?\.(pdf|xlsx)$", "", name) for name in named}
    extra = [key for key in keys if key not in named and re.sub(r"(_[A-Za-z0-9]{7})?\.(pdf|xlsx)$", "", key) in stems]
    checks.check("no file built twice (one object each)", not extra, f"extra objects: {extra}" if extra else "")
    tables = {model._meta.db_table: model for model in built_file_models()}
    swept = {
        record.get("message", "").split(" built:")[0]
        for record in survivor.log_records()
        if record.get("task_name") == SWEEP_TASK and " built: " in record.get("message", "")
    }
    rebuilt = [
        tables[table].objects.get(pk=pk).state == "ready" and f"{tables[table]._meta.verbose_name} {pk}" in swept
        for table, pk in killed
    ]
    checks.check(
        "the killed worker's file built by the other worker",
        killed and all(rebuilt),
        f"{survivor.name}'s log: the sweep built {', '.join(sorted(swept)) or 'nothing'}",
    )


def check_daily_jobs(portal: dict, today: date, report_day: date, sent_from, checks: Checks) -> None:
    from audits.models import SentReminder
    from quality.reports.models import Report

    workers = portal["workers"]
    runs = wait_for(
        "both reminder runs",
        lambda: found if len(found := log_numbers(workers, r"cycle reminders: (\d+) sent")) >= 2 else None,
    )
    recorded = SentReminder.objects.filter(key__startswith="audit:", sent_at__gte=sent_from).count()
    checks.check(
        "one set of reminders",
        recorded > 0 and sum(runs) == recorded and sorted(runs)[:-1] == [0] * (len(runs) - 1),
        f"runs sent {runs}, {recorded} recorded for {today}",
    )
    made = wait_for(
        "both due-report runs",
        lambda: found if len(found := log_numbers(workers, r"scheduled reports: (\d+) made")) >= 2 else None,
    )
    wait_for("the due reports to be generated", lambda: not Report.objects.filter(state=Report.State.QUEUED).exists())
    periods: dict[tuple, int] = {}
    for report in Report.objects.exclude(state=Report.State.SUPERSEDED):
        key = (report.kind, report.period, report.year_to_date)
        periods[key] = periods.get(key, 0) + 1
    doubled = [key for key, count in periods.items() if count > 1]
    failed = Report.objects.filter(state=Report.State.FAILED).count()
    checks.check(
        "one report per period",
        sum(made) > 0 and not doubled and failed == 0,
        f"runs made {made} for the day {report_day}; {len(periods)} periods, none twice"
        if not doubled
        else f"twice: {doubled}",
    )


def check_beat(portal: dict, checks: Checks) -> None:
    from django.utils import timezone

    from quality.ops.models import BeatHeartbeat

    beats = portal["beats"]
    wait_for("a beat heartbeat", lambda: BeatHeartbeat.latest() is not None, timeout=START_TIMEOUT)
    leaders = [beat.name for beat in beats if BEAT_TOOK_LOCK.search(beat.log_text())]
    senders = [beat.name for beat in beats if "Sending due task" in beat.log_text()]
    heartbeat = BeatHeartbeat.latest()
    age = (timezone.now() - heartbeat.ticked_at).total_seconds()
    ticking = {beat.popen.pid: beat.name for beat in beats}.get(heartbeat.pid)
    checks.check(
        "one beat ticking",
        leaders == senders == [ticking] and age < HEARTBEAT_FRESH_SECONDS,
        f"{', '.join(leaders) or 'no beat'} took the lock, {', '.join(senders) or 'none'} sent jobs;"
        f" the heartbeat is {age:.0f} s old, from {ticking}",
    )


def check_health(webs: list, checks: Checks) -> None:
    """200 from both web servers. Asked again for a few seconds: on a busy machine the S3 server may
    miss the health check's time budget once (its body names the failing check)."""
    for web, url in webs:
        answers_ = []

        def healthy(url=url, answers_=answers_) -> bool:
            answers_.append(requests.get(f"{url}/healthz", headers=PROXY_HEADERS, timeout=10))
            return answers_[-1].status_code == 200

        with contextlib.suppress(TimeoutError):
            wait_for(f"{web.name}'s /healthz", healthy, timeout=HEALTH_WAIT_SECONDS, every=1)
        last = answers_[-1]
        body = " ".join(last.text.split())[:300]
        checks.check(f"/healthz 200 on {web.name}", last.status_code == 200, f"{len(answers_)} ask(s); {body}")


def drive(rehearsal: Rehearsal, portal: dict, checks: Checks) -> None:
    from django.utils import timezone

    webs = [url for _, url in portal["webs"]]
    started = timezone.now()
    today = timezone.localdate()
    month = next_month(today)
    report_day = next_month(today).replace(day=9)  # the month's report is due on the 9th of the next
    qa = Browser("QA lead")
    qa.sign_in(webs[0], QA_LEAD, demo_password(), lambda: demo_code(QA_LEAD))
    say("QA lead signed in on web1 (password, then the authenticator's code); same session on web2")
    propose_allocation(qa, webs, month, checks)
    say(f"the daily jobs queued twice at once: reminders for {today}, due reports for {report_day}")
    sent_from = timezone.now()
    send_twice("audits.tasks.send_cycle_reminders", today.isoformat())
    send_twice("quality.reports.tasks.generate_due_reports", report_day.isoformat())
    manager, audit_id = submit_audit(webs[1], month, checks)
    report_id = report_pdf_across(qa, webs, checks)
    check_daily_jobs(portal, today, report_day, sent_from, checks)
    say("asking for more PDFs and workbooks; a worker is killed while it builds one")
    asks = pdf_requests(qa, manager, webs, audit_id, report_id)
    victim, killed = kill_a_worker_mid_build(portal["workers"], asks, checks)
    survivor = next(worker for worker in portal["workers"] if worker is not victim)
    check_built_files(rehearsal, started, killed, survivor, checks)
    check_beat(portal, checks)
    check_health(portal["webs"], checks)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--work-dir", type=Path, help="where the processes' folders and logs go (default: a new temporary one)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work dir even if every check passes")
    options = parser.parse_args()
    work = options.work_dir or Path(tempfile.mkdtemp(prefix="quality-rehearsal."))
    (work / "logs").mkdir(parents=True, exist_ok=True)
    say(f"work dir: {work} (the processes' logs: {work / 'logs'})")
    # A TERM (a test's time-out, a service manager) stops everything as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    rehearsal = Rehearsal(work)
    checks = Checks()
    try:
        rehearsal.env = start_services(rehearsal)
        rehearsal.run(migrate=manage("migrate", "--no-input"), collectstatic=manage("collectstatic", "--no-input"))
        say("migrations applied once (as a release does), static files collected")
        portal = start_portal(rehearsal)
        rehearsal.run(load_demo=manage("load_demo"))
        say("demo council loaded: people with authenticators, cases, the schedule, last months' reports")
        setup_django(rehearsal.env)
        send_secure_cookies_over_the_proxy()
        wait_until_ready(portal)
        drive(rehearsal, portal, checks)
    except KeyboardInterrupt:
        checks.check("the rehearsal ran to the end", False, "interrupted")
    except Exception as error:  # a step that could not go on is a failed check, with the logs kept
        checks.check("the rehearsal ran to the end", False, f"{type(error).__name__}: {error}")
    finally:
        say("stopping every process")
        rehearsal.stop_all()
    passed = checks.all_passed
    say(f"{sum(p for _, p, _ in checks.results)} of {len(checks.results)} checks passed")
    if passed and not options.keep and not options.work_dir:
        shutil.rmtree(work, ignore_errors=True)
        say("REHEARSAL PASSED (work dir removed)")
    else:
        say(f"REHEARSAL {'PASSED' if passed else 'FAILED'}; logs in {work / 'logs'}")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
