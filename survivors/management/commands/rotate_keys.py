from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from core.fields import FieldKeyMissing
from survivors.services import RotationProgress, encrypted_fields_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field with the newest FIELD_ENCRYPTION_KEY (the first "
        "listed), in batches, printing progress. Resumable: values already under the newest "
        "key are skipped. When it reports 0 values left (--check), the older keys can be "
        "dropped from FIELD_ENCRYPTION_KEY."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--check",
            action="store_true",
            help="change nothing; exit non-zero while any value still needs an older key",
        )

    def handle(self, *args, **options) -> None:
        check = options["check"]

        def report(step: RotationProgress) -> None:
            verb = "need" if check else "re-encrypted"
            self.stdout.write(
                f"{step.table}: {step.done}/{step.total} rows read, {step.rotated} values {verb}"
            )

        try:
            needed = encrypted_fields_rotate(
                batch_size=options["batch_size"], dry_run=check, progress=report
            )
        except FieldKeyMissing as exc:
            raise CommandError(str(exc)) from exc
        left = sum(needed.values())
        if check and left:
            raise CommandError(
                f"{left} encrypted values still need an older key: run rotate_keys before "
                "dropping it from FIELD_ENCRYPTION_KEY."
            )
        if check:
            self.stdout.write("Every encrypted value is under the newest key: older keys can go.")
        else:
            self.stdout.write(
                f"{left} values re-encrypted with the newest key. Run rotate_keys --check, "
                "then drop the older keys from FIELD_ENCRYPTION_KEY."
            )
