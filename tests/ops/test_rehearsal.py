"""The multi-process rehearsal (scripts/rehearsal.py) passes: the slow test of the operations tests.

It runs the script as a person would, in its own process group. The script starts its own PostgreSQL,
Redis and S3 server on free loopback ports in a work folder of its own (never the test run's services,
never the checkout's static files), two web servers, two workers and two beats, drives a month through
the portal and kills a worker half-way through a PDF. Marked `multiprocess`, so it can be left out
(`-m "not multiprocess"`) or run alone (`-m multiprocess`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.clock import real_clock_environ

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "rehearsal.py"
# About 80 s on two idle cores (migrating and loading the demo council take a third of it).
RUN_TIMEOUT = 170
STOP_TIMEOUT = 30  # after a TERM the script stops everything it started
CHECKS = [
    "both 'Propose now' posts accepted",
    "the allocation distributed through the page",
    "one allocation for the month",
    "the allocation gave a practice manager an audit",
    "the audit submitted through its form",
    "report PDF asked for on web1, downloaded from web2",
    "one set of reminders",
    "one report per period",
    "a worker killed half-way through a build",
    "every PDF and workbook asked for built",
    "each built file's object is in the bucket",
    "no file built twice (one object each)",
    "the killed worker's file built by the other worker",
    "one beat ticking",
    "/healthz 200 on web1",
    "/healthz 200 on web2",
]
# The test run's own services: the rehearsal must start its own, whatever the environment says.
TEST_SERVICES = ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")


def run_rehearsal(work: Path) -> tuple[int, str]:
    """Run the script to the end (or TERM it at RUN_TIMEOUT, which stops what it started)."""
    environ = {key: value for key, value in real_clock_environ().items() if key not in TEST_SERVICES}
    process = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "python"), str(SCRIPT), "--work-dir", str(work)],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=STOP_TIMEOUT)
        pytest.fail(f"the rehearsal took longer than {RUN_TIMEOUT} s:\n{output}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode, output


@pytest.fixture
def work_dir():
    """The rehearsal's work folder, in /tmp: its PostgreSQL runs as the postgres user, who cannot reach
    into pytest's own temporary folders (private to root)."""
    folder = Path(tempfile.mkdtemp(prefix="quality-rehearsal-test."))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.multiprocess
def test_the_rehearsal_passes_every_check(work_dir):
    code, output = run_rehearsal(work_dir)

    lines = output.splitlines()
    assert code == 0, output
    for check in CHECKS:
        assert any(f"PASS {check}" in line for line in lines), f"no PASS line for {check!r}:\n{output}"
    assert not any(" FAIL " in line for line in lines), output
    assert f"{len(CHECKS)} of {len(CHECKS)} checks passed" in output
    # Every process it started was stopped: no port it printed still answers, and no process is left
    # with the work folder in its command line or environment (the portal's processes all have it).
    ports = {int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", output)}
    assert len(ports) >= 5  # PostgreSQL, Redis, S3, two web servers
    assert [port for port in ports if answers(port)] == []
    assert processes_mentioning(work_dir) == []


def answers(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def processes_mentioning(folder: Path) -> list[int]:
    """The processes whose command line or environment names `folder`."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            text = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if str(folder).encode() in text:
            found.append(int(proc.name))
    return found
