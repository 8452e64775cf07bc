from django.core.management.base import BaseCommand, CommandError

from quality.mfa.demo import current_code


class Command(BaseCommand):
    help = "Print the code a demo person's authenticator shows now (demo log-ins only)."

    def add_arguments(self, parser):
        parser.add_argument("email", help="A demo log-in, as printed by load_demo.")

    def handle(self, *args, email, **options):
        code = current_code(email)
        if code is None:
            raise CommandError("Only the demo log-ins have a demo authenticator.")
        self.stdout.write(code)
