from __future__ import annotations

from django.core.management.base import BaseCommand

from reports.demo import seed_report_history


class Command(BaseCommand):
    help = "Add a year of synthetic searches and placements for the demo's reports (once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--children", type=int, default=1000)

    def handle(self, *args, **options) -> None:
        added = seed_report_history(children=options["children"])
        self.stdout.write(
            f"Report history: {added} children added." if added else "Report history: present."
        )
