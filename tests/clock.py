"""The suite's clock: tests never read the real date.

A test whose data is written with fixed dates runs at SUITE_NOW (the `frozen_today` fixture in
tests/conftest.py); a browser test, whose Chromium keeps the machine's clock, builds its dates from
`timezone.localdate()` read once. `make test-on DATE=...` runs the whole suite with the machine's
clock moved (libfaketime, see scripts/test-suite.sh) to prove that nothing else depends on it.
"""

import os

# A Monday in the middle of November, in winter time: no deadline, allocation day, month end, year
# end or change of the clocks is near, so a test that needs one of those freezes its own moment.
SUITE_NOW = "2026-11-16 10:00:00+00:00"

_FAKETIME_VARIABLES = ("LD_PRELOAD", "FAKETIME", "FAKETIME_SHARED", "FAKETIME_FAKEPID", "FAKETIME_DONT_FAKE_MONOTONIC")


def real_clock_environ(**extra: str) -> dict[str, str]:
    """The environment for a service a test starts (Redis, `make run`): the machine's real clock.

    Under `make test-on` the test process runs with libfaketime preloaded; a server that forks
    (redis-server --daemonize, gunicorn) can hang in libfaketime's shared lock, and services keep
    the real clock anyway, as the suite's own PostgreSQL and Redis do."""
    environ = {key: value for key, value in os.environ.items() if key not in _FAKETIME_VARIABLES}
    return environ | extra
