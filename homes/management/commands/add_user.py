from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from homes.services import user_create_with_homes


class Command(BaseCommand):
    # Lives in homes, not accounts: --home grants homes, and accounts is the floor below.
    help = "Create a Harbor user with a role (creates a missing agency or team)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--password", required=True)
        parser.add_argument("--role", required=True, help=f"one of: {', '.join(Role.values)}")
        parser.add_argument("--agency", help="agency code (created if missing)")
        parser.add_argument("--team", help="MDT team name (created if missing; needs --agency)")
        parser.add_argument("--home", type=int, nargs="*", default=[], help="home ids (home_admin)")
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="", help="a number to call, e.g. (913) 555-0142")
        parser.add_argument(
            "--totp-secret",
            help="base32 secret of an authenticator (TOTP) provisioned for the user: "
            "enrolled and confirmed, so the first sign-in asks for its code",
        )

    def handle(self, *args, **options) -> None:
        try:
            user = user_create_with_homes(
                actor=None,
                home_ids=options["home"],
                username=options["username"],
                password=options["password"],
                role=options["role"],
                agency_code=options["agency"],
                team_name=options["team"],
                email=options["email"],
                phone=options["phone"],
                totp_secret=options["totp_secret"],
            )
        except ValidationError as exc:
            messages = [
                f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()
            ]
            raise CommandError("; ".join(messages)) from exc
        enrolled = ", authenticator enrolled" if options["totp_secret"] is not None else ""
        self.stdout.write(f"Created {user.username} ({user.get_role_display()}{enrolled}).")
