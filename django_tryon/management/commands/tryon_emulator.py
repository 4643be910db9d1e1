"""``manage.py tryon_emulator``: run a provider emulator in the foreground, for a shop to try
its integration without an account or network."""

from __future__ import annotations

import logging
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_tryon.testing.emulators import (
    ChangeClothesEmulator,
    Emulator,
    FashnEmulator,
    MagicHourEmulator,
    VertexEmulator,
)


class Command(BaseCommand):
    help = "Run a loopback emulator of a try-on provider's API until Ctrl-C."
    requires_system_checks: list[str] = []  # the emulator uses none of the shop's settings

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("provider", choices=["magichour", "changeclothes", "fashn", "vertex"])
        parser.add_argument(
            "--port", type=int, default=0, help="Port on 127.0.0.1 (default: a free one)."
        )
        parser.add_argument(
            "--latency", type=float, default=2.0, help="Seconds a job takes (default 2)."
        )
        parser.add_argument(
            "--api-key",
            help="The key the emulator accepts (default: mh-test-key / cc-test-key / fa-test-key; "
            "Vertex: the access token, vertex-test-token).",
        )
        parser.add_argument(
            "--project", default="tryon-test", help="Vertex: the Google Cloud project it serves."
        )
        parser.add_argument(
            "--webhook-url", help="Magic Hour: where to send signed image.* events."
        )
        parser.add_argument(
            "--webhook-secret", help="Magic Hour: the secret the events are signed with."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        provider = options["provider"]
        webhook_url, webhook_secret = options["webhook_url"], options["webhook_secret"]
        if provider != "magichour" and (webhook_url or webhook_secret):
            raise CommandError("Only the Magic Hour emulator sends webhooks.")
        if bool(webhook_url) != bool(webhook_secret):
            raise CommandError("--webhook-url and --webhook-secret go together.")

        common = {"port": options["port"], "latency": options["latency"]}
        key = {"api_key": options["api_key"]} if options["api_key"] else {}
        emulator: Emulator
        if provider == "magichour":
            emulator = MagicHourEmulator(
                webhook_url=webhook_url, webhook_secret=webhook_secret, **common, **key
            )
        elif provider == "fashn":
            # FASHN sends callbacks to the webhook_url each run names (FASHN_WEBHOOK_URL).
            emulator = FashnEmulator(**common, **key)
        elif provider == "vertex":
            token = {"access_token": options["api_key"]} if options["api_key"] else {}
            emulator = VertexEmulator(project=options["project"], **common, **token)
        else:
            emulator = ChangeClothesEmulator(**common, **key)
        handler = logging.StreamHandler(self.stdout)
        logger = logging.getLogger("django_tryon.testing")
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        try:
            with emulator:
                self._print_usage(provider, emulator, webhook_secret)
                threading.Event().wait()  # until Ctrl-C
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
        finally:
            logger.removeHandler(handler)

    def _print_usage(self, provider: str, emulator: Emulator, webhook_secret: str | None) -> None:
        prefix = provider.upper()
        env = {f"{prefix}_BASE_URL": emulator.base_url, f"{prefix}_API_KEY": emulator.api_key}
        if isinstance(emulator, VertexEmulator):
            del env[f"{prefix}_API_KEY"]
            env |= {"VERTEX_PROJECT": emulator.project, "VERTEX_ACCESS_TOKEN": emulator.api_key}
        env |= {"TRYON_ALLOW_PRIVATE_URLS": "1", "TRYON_PROVIDER": provider}
        if webhook_secret:
            env[f"{prefix}_WEBHOOK_SECRET"] = webhook_secret
        self.stdout.write(f"{provider} emulator listening on {emulator.base_url}")
        self.stdout.write("Point the example shop at it with:")
        for name, value in env.items():
            self.stdout.write(f"  export {name}={value}")
        self.stdout.write("Press Ctrl-C to stop.")
        self.stdout.flush()
