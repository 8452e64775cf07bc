"""`make run` owns its services and serves the portal people would run.

Each test runs scripts/run.sh in a copy of the checkout (the files git knows, plus a link to
.venv), so everything the run starts is recognisable by its working folder and the developer's
own db.sqlite3, var/ and staticfiles/ are never touched. Ports are free ones found by the test.
The tests that start the portal share one copy (`checkout`), as a developer runs `make run` again
and again in theirs: the first run migrates and loads the demo, the later ones find both done.
"""

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode

import pytest
import redis
from django.urls import reverse
from django.views.defaults import server_error

from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parent.parent
# Migrating, loading the demo into SQLite and collecting static files: about 20 s on two cores.
START_TIMEOUT = 300
STOP_TIMEOUT = 15
PASSWORD = "demo-portal-2026"


def clone_checkout(folder: Path) -> Path:
    """The checkout's files as git sees them (tracked and new, never ignored ones) and its .venv."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    )
    portal = folder / "portal"
    for name in filter(None, listing.stdout.decode().split("\0")):
        source = ROOT / name
        if source.is_file():  # a tracked file deleted in the working tree is skipped
            (portal / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, portal / name)
    (portal / ".venv").symlink_to(ROOT / ".venv")
    return portal


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def run_env(web_port: int, redis_port: int) -> dict:
    outside = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "PORTAL_URL")
    env = {key: value for key, value in real_clock_environ().items() if key not in outside}
    return {key: value for key, value in env.items() if not key.startswith("PORTAL_")} | {
        "PORT": str(web_port),
        "REDIS_PORT": str(redis_port),
    }


def processes_in(folder: Path) -> dict[int, str]:
    """Every process whose working folder is `folder` or inside it, with its command line."""
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # gone meanwhile
            continue
        if cwd == folder or folder in cwd.parents:
            found[int(proc.name)] = command
    return found


def kill_everything_in(folder: Path) -> None:
    for pid in processes_in(folder):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def something_listens_on(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


class Response(NamedTuple):
    status: int
    content_type: str
    body: str
    url: str  # where the redirects ended


def fetch(opener, url: str, data: dict | None = None) -> Response:
    """A GET, or a POST when data is given; redirects followed."""
    sent = urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=sent, timeout=30) as response:
            return Response(response.status, response.headers["Content-Type"], response.read().decode(), response.url)
    except urllib.error.HTTPError as error:
        return Response(error.code, error.headers["Content-Type"], error.read().decode(), error.url)


def wait_for_portal(url: str, run: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        assert run.poll() is None, f"run.sh stopped (exit {run.returncode}):\n{log.read_text()[-4000:]}"
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return
        except OSError:
            time.sleep(1)
    pytest.fail(f"The portal did not answer within {START_TIMEOUT} s:\n{log.read_text()[-4000:]}")


def csrf_token(page: Response) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.body).group(1)


def sign_in(base: str, portal: Path, env: dict, email: str):
    """Password, then the code of the demo person's authenticator, as load_demo says to get it."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = fetch(opener, f"{base}/accounts/login/")
    code_page = fetch(
        opener, page.url, {"csrfmiddlewaretoken": csrf_token(page), "username": email, "password": PASSWORD}
    )
    assert "Enter your code" in code_page.body, code_page.body[:2000]
    command = [".venv/bin/python", "manage.py", "demo_code", email]
    code = subprocess.run(command, cwd=portal, env=env, capture_output=True, text=True, check=True).stdout.strip()
    home = fetch(opener, code_page.url, {"csrfmiddlewaretoken": csrf_token(code_page), "code": code})
    assert home.status == 200 and "Signed in as" in home.body, home.body[:2000]
    return opener


def run_refused(portal: Path, web_port: int, redis_port: int) -> subprocess.CompletedProcess:
    """run.sh expected to stop at once (a port is taken)."""
    return subprocess.run(
        ["bash", "scripts/run.sh"],
        cwd=portal,
        env=run_env(web_port, redis_port),
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_own_error_page(response: Response) -> None:
    assert response.status in (403, 404), response.status
    assert "URLconf" not in response.body, "Django's technical page, listing the URL patterns"
    assert "Case quality portal" in response.body
    assert "Page not found" in response.body or "You cannot use this page" in response.body, response.body[:2000]


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """The copy of the checkout the portal is started in, for the module: migrating and loading the
    demo into a new database takes a quarter of a minute on two cores, and a run after the first
    still does both, finding them done."""
    return clone_checkout(tmp_path_factory.mktemp("make-run"))


def test_make_run_serves_the_portal_refuses_a_second_run_and_stops_everything_on_term(checkout, tmp_path):
    portal = checkout
    web_port, redis_port = free_ports(2)
    base = f"http://127.0.0.1:{web_port}"
    log = tmp_path / "run.log"
    with log.open("wb") as output:
        run = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=portal,
            env=run_env(web_port, redis_port),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_portal(f"{base}/accounts/login/", run, log)
        assert "partner@council.example" in log.read_text(), "the demo log-ins are printed"

        anonymous = urllib.request.build_opener()
        assert_own_error_page(fetch(anonymous, f"{base}/no-such-page/"))
        css = fetch(anonymous, f"{base}/static/css/portal.css")
        assert (css.status, css.content_type.split(";")[0]) == (200, "text/css")
        assert css.body == (ROOT / "static/css/portal.css").read_text()

        # DEBUG off over plain http: the session and CSRF cookies still work, and a partner
        # auditor opening a page they may not see gets the portal's page, not the URL patterns.
        partner = sign_in(base, portal, run_env(web_port, redis_port), "partner@council.example")
        assert_own_error_page(fetch(partner, f"{base}{reverse('org:person_list')}"))
        assert_own_error_page(fetch(partner, f"{base}/no-such-page/"))

        # The worker has declared its queues in this run's Redis.
        broker = redis.Redis(port=redis_port, socket_timeout=5)
        deadline = time.monotonic() + 60
        while not broker.keys("_kombu.binding.*") and time.monotonic() < deadline:
            time.sleep(1)
        assert broker.keys("_kombu.binding.*"), log.read_text()[-4000:]
        broker.close()

        started = time.monotonic()
        second = run_refused(portal, web_port, redis_port)
        assert second.returncode == 1
        assert time.monotonic() - started < 10
        assert f"Port {web_port} (the web server) is already in use: set PORT to choose another" in second.stderr
        assert f"Port {redis_port} (Redis) is already in use" in second.stderr
        assert "set REDIS_PORT to choose another" in second.stderr
        assert fetch(anonymous, f"{base}/accounts/login/").status == 200, "the first run is undisturbed"

        os.killpg(run.pid, signal.SIGTERM)
        assert_all_stopped(portal, log, web_port, redis_port)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        kill_everything_in(portal)
        run.wait(timeout=STOP_TIMEOUT)


@pytest.mark.parametrize(("held", "variable"), [("web", "PORT"), ("redis", "REDIS_PORT")])
def test_make_run_refuses_a_taken_port_before_starting_anything(tmp_path, held, variable):
    portal = clone_checkout(tmp_path)
    web_port, redis_port = free_ports(2)
    taken = web_port if held == "web" else redis_port
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", taken))
        holder.listen()

        result = run_refused(portal, web_port, redis_port)

    assert result.returncode == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert f"Port {taken} " in line
    assert f"set {variable} to choose another, e.g. PORT=" in line
    assert line.endswith("make run")
    assert not (portal / "db.sqlite3").exists()
    assert not (portal / "var").exists()
    assert not (portal / "staticfiles").exists()
    assert processes_in(portal) == {}


def test_the_500_page_is_the_portals_own_and_needs_no_request_context_or_database(rf, settings):
    settings.DEBUG = False  # the database is out of reach here: pytest-django refuses it without `db`

    response = server_error(rf.get("/anything/"))

    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "/static/css/portal.css" in page


def start_and_wait(portal: Path, web_port: int, redis_port: int, log: Path) -> subprocess.Popen:
    """run.sh with its output through a pipe this test reads into `log`, as `make run | tee` would."""
    run = subprocess.Popen(
        ["bash", "scripts/run.sh"],
        cwd=portal,
        env=run_env(web_port, redis_port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def copy_output():
        with log.open("wb") as output, contextlib.suppress(ValueError, OSError):  # the pipe closed
            for line in run.stdout:
                output.write(line)
                output.flush()

    threading.Thread(target=copy_output, daemon=True).start()
    wait_for_portal(f"http://127.0.0.1:{web_port}/accounts/login/", run, log)
    return run


def assert_all_stopped(portal: Path, log: Path, *ports: int) -> None:
    deadline = time.monotonic() + STOP_TIMEOUT
    while processes_in(portal) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert processes_in(portal) == {}, log.read_text()[-4000:]
    assert not any(something_listens_on(port) for port in ports)


def test_everything_stops_with_the_runner_however_it_goes(checkout, tmp_path):
    portal = checkout
    web_port, redis_port = free_ports(2)
    log = tmp_path / "run.log"
    runs = []
    try:
        # Ctrl-C after the output's reader has gone (`make run | tee log`: tee dies first).
        run = start_and_wait(portal, web_port, redis_port, log)
        runs.append(run)
        run.stdout.close()
        os.killpg(run.pid, signal.SIGINT)
        assert_all_stopped(portal, log, web_port, redis_port)

        # The runner killed outright (KILL cannot be caught): the kernel tells the rest to stop.
        run = start_and_wait(portal, web_port, redis_port, log)
        runs.append(run)
        os.kill(run.pid, signal.SIGKILL)
        assert_all_stopped(portal, log, web_port, redis_port)
    finally:
        for run in runs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(run.pid, signal.SIGKILL)
            run.wait(timeout=STOP_TIMEOUT)
            run.stdout.close()
        kill_everything_in(portal)
