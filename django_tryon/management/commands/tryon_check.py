"""``manage.py tryon_check [alias ...]``: are credentials, storage and the cluster ready?"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_tryon.services import run_checks


class Command(BaseCommand):
    help = (
        "Check provider credentials (spending no credit), a storage round trip and that a "
        "qcluster takes tasks. With --resume, a paused alias whose credentials pass is resumed. "
        "Exits non-zero on any failure (a paused alias included)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("aliases", nargs="*", help="Provider aliases (default: all).")
        parser.add_argument(
            "--no-storage", action="store_true", help="Skip the storage round trip."
        )
        parser.add_argument(
            "--no-cluster", action="store_true", help="Skip the cluster round trip."
        )
        parser.add_argument(
            "--cluster-wait",
            type=float,
            default=10.0,
            help="Seconds to wait for a qcluster to run the probe task (default 10).",
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Resume paused aliases whose credentials pass (their waiting jobs go on).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        verdicts = run_checks(
            options["aliases"] or None,
            storage=not options["no_storage"],
            cluster=not options["no_cluster"],
            cluster_wait=options["cluster_wait"],
            resume=options["resume"],
        )
        for verdict in verdicts:
            label = self.style.SUCCESS("OK  ") if verdict.ok else self.style.ERROR("FAIL")
            self.stdout.write(f"{label} {verdict.name}: {verdict.message}")
        failed = [verdict for verdict in verdicts if not verdict.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(verdicts)} checks failed.")
        self.stdout.write(self.style.SUCCESS(f"All {len(verdicts)} checks passed."))
