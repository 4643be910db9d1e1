"""``manage.py tryon_cleanup``: delete shopper photos and results past their retention time.

The hourly "django-tryon cleanup" schedule (registered after migrate) does the same; this
command is for cron-minded shops, for a first run, and to see what is pending.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from django_tryon.conf import tryon_settings
from django_tryon.services import delete_expired
from django_tryon.services.shopper import expired_summary


class Command(BaseCommand):
    help = (
        "Delete shopper try-ons (photo, result, files in storage) whose retention time "
        "(TRYON['SHOPPER_RETENTION_HOURS']) has passed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        jobs, files = expired_summary(now)
        hours = tryon_settings.SHOPPER_RETENTION_HOURS
        if options["dry_run"]:
            self.stdout.write(
                f"{jobs} expired try-on(s) with {files} file(s) would be deleted "
                f"(retention: {hours} h)."
            )
            return
        deleted = delete_expired(now)
        self.stdout.write(
            self.style.SUCCESS(
                f"Deleted {deleted} expired try-on(s) and {files} file(s) (retention: {hours} h)."
            )
        )
