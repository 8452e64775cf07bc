"""Run some of the Procfile's processes in the foreground, and stop all of them together.

    python scripts/procfile.py Procfile redis web worker beat

What `make run` and `make dev` need, and why not honcho or foreman: those start each process in a
session of its own, so when the runner itself dies (a `make run | tee log` whose tee went first
on Ctrl-C breaks its output, and it dies printing "SIGINT received"; a KILL; a closed terminal)
the web server, worker, beat and Redis live on. Here:
- every process stays in the runner's process group, so Ctrl-C and a TERM to the group reach it;
- each is told by the kernel to stop (SIGTERM) when the runner dies, whatever killed it;
- INT, TERM or HUP to the runner, or any process ending, stops them all: TERM, then KILL after
  STOP_GRACE seconds;
- output is relayed line by line with the process's name; a broken output is ignored, never fatal.
A deployment may run the same Procfile with any runner (`honcho start web worker beat`).
"""

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

STOP_GRACE = 10  # seconds between TERM and KILL
LINE = re.compile(r"^(?P<name>[A-Za-z0-9_-]+):\s*(?P<command>.+)$")
PR_SET_PDEATHSIG = 1


def read_procfile(path: Path) -> dict[str, str]:
    """name -> command, in the file's order; blank lines and # comments skipped."""
    processes = {}
    for number, text in enumerate(path.read_text().splitlines(), start=1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        match = LINE.match(text)
        if match is None:
            raise SystemExit(f"{path}, line {number}: expected 'name: command'")
        processes[match["name"]] = match["command"]
    return processes


def _stop_when_runner_dies() -> None:
    # Runs in the child between fork and exec; the setting survives exec (not setuid programs).
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Runner:
    def __init__(self, processes: dict[str, str]):
        self.processes = processes
        self.width = max(map(len, processes))
        self.children: dict[str, subprocess.Popen] = {}
        self.output_lock = threading.Lock()
        self.stopping = threading.Event()

    def say(self, name: str, line: str) -> None:
        with self.output_lock, contextlib.suppress(OSError, ValueError):  # output gone: carry on
            sys.stdout.write(f"{datetime.now():%H:%M:%S} {name:<{self.width}} | {line.rstrip()}\n")
            sys.stdout.flush()

    def relay(self, name: str, child: subprocess.Popen) -> None:
        for raw in child.stdout:
            self.say(name, raw.decode(errors="replace"))

    def start(self) -> None:
        for name, command in self.processes.items():
            child = subprocess.Popen(  # noqa: S603 (the project's own Procfile)
                ["/bin/sh", "-c", command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                preexec_fn=_stop_when_runner_dies,  # safe: no thread is running yet
            )
            self.children[name] = child
            self.say(name, f"started (pid {child.pid})")
        for name, child in self.children.items():
            threading.Thread(target=self.relay, args=(name, child), daemon=True).start()

    def on_signal(self, signum, frame) -> None:
        self.stopping.set()

    def wait(self) -> int:
        """Until a signal comes or a process ends; the exit status of the first one to end."""
        while not self.stopping.wait(0.2):
            for name, child in self.children.items():
                if child.poll() is not None:
                    self.say(name, f"ended (status {child.returncode}): stopping the others")
                    return child.returncode or 1
        return 0

    def stop(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.terminate()
        deadline = time.monotonic() + STOP_GRACE
        while any(child.poll() is None for child in self.children.values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        for name, child in self.children.items():
            if child.poll() is None:
                self.say(name, f"did not stop within {STOP_GRACE} s: killed")
                child.kill()
                child.wait()


def main(procfile: str, *names: str) -> int:
    processes = read_procfile(Path(procfile))
    unknown = [name for name in names if name not in processes]
    if unknown:
        raise SystemExit(f"{procfile} has no process {', '.join(unknown)}")
    runner = Runner({name: processes[name] for name in names or processes})
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, runner.on_signal)
    runner.start()
    status = runner.wait()
    runner.stop()
    return status


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: procfile.py PROCFILE [NAME ...]")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")  # the children's lines arrive as they are written
    sys.exit(main(*sys.argv[1:]))
