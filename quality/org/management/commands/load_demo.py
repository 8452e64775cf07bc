"""Load the demo council. Idempotent: running it again adds only what is missing.

Each app may have a `demo` module with a `load()` function; they run in INSTALLED_APPS
order, so the organisation comes first and later workbenches build on it.
"""

from importlib import import_module
from importlib.util import find_spec

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from quality.org.demo import DEMO_PASSWORD, logins


class Command(BaseCommand):
    help = "Create (or complete) the synthetic demo council."

    def add_arguments(self, parser):
        parser.add_argument("--logins-only", action="store_true", help="Only print the demo log-ins.")

    def handle(self, *args, logins_only=False, **options):
        if not logins_only:
            with transaction.atomic():
                for config in apps.get_app_configs():
                    if find_spec(f"{config.name}.demo"):
                        import_module(f"{config.name}.demo").load()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"Demo log-ins (password for all: {DEMO_PASSWORD}):")
        for email, role in logins():
            self.stdout.write(f"  {role:<22} {email}")
        self.stdout.write(
            "Each has an authenticator set up; the code it shows now: .venv/bin/python manage.py demo_code EMAIL"
        )
