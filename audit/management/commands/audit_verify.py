from __future__ import annotations

from argparse import ArgumentParser

from django.core.management.base import BaseCommand, CommandError

from audit.services import ChainHead, audit_chain_verify, heads_exported, heads_read


class Command(BaseCommand):
    help = (
        "Seal what can be sealed, then check the audit trail's hash chain link by link "
        "and against the heads exported out of the database; exit non-zero at a broken "
        "link, a backdated entry, entries cut off the end (or the tables truncated), a "
        "chain key that is not configured, or entries left unsealed longer than "
        "AUDIT_SEAL_DELAY_SECONDS."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--heads",
            nargs="+",
            metavar="FILE",
            help="files of exported heads to check besides AUDIT_HEAD_EXPORT's file: "
            "a heads file, or log lines of the audit.head logger ('-' reads stdin)",
        )

    def handle(self, *args, **options) -> None:
        heads: list[ChainHead] = heads_exported()
        for name in options["heads"] or []:
            if name == "-":
                heads += heads_read(self.stdin_lines())
                continue
            try:
                with open(name, encoding="utf-8") as lines:
                    heads += heads_read(lines)
            except OSError as exc:
                raise CommandError(f"Cannot read the heads in {name}: {exc}") from exc
        report = audit_chain_verify(heads=heads)
        waiting = f"{report.unsealed} not yet sealed"
        problems = report.problems
        if problems:
            raise CommandError(" ".join(problems) + f" ({report.sealed} verified; {waiting}.)")
        self.stdout.write(f"{report.sealed} entries, chain intact ({waiting}).")
        if report.heads_checked:
            self.stdout.write(f"{report.heads_checked} exported heads reached.")
        else:
            self.stdout.write(
                "No exported heads checked: entries cut off the end would not show "
                "(set AUDIT_HEAD_EXPORT=file:PATH, or pass --heads)."
            )
        if report.head_seq is not None:
            self.stdout.write(f"Head: seq {report.head_seq}, hash {report.head_hash}.")

    def stdin_lines(self) -> list[str]:
        import sys

        return sys.stdin.readlines()
