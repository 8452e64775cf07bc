"""`make dev` and `make run`: SQLite and the demo on this machine, e-mails printed to the console.

DEBUG comes from the environment and is on unless set: `make dev` keeps it on (Django's debug
pages, runserver serving static files from their sources); `make run` sets DEBUG=false, so people
trying the portal get its own 403, 404 and 500 pages and WhiteNoise serves the collected static
files, as in production. Cookies stay without the Secure flag: both serve plain http on loopback.
"""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DEBUG", default=True)
