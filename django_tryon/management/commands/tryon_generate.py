"""``manage.py tryon_generate``: "Generate try-ons" for large catalogues, from the shell.

    manage.py tryon_generate --all --dry-run
    manage.py tryon_generate --products 12 13 14 --model-photos 1 2 --provider magichour
    manage.py tryon_generate --garments 7 --wait --download-dir ./tryons
    manage.py tryon_generate --garments 7 9 --outfit --model-photos 1 --dry-run

Selects garments (of products, by id, or all), plans every try-on against the model photos
that suit each garment, prints what it would make, skip and cost, then creates the batch.
``--wait`` follows it with a progress bar; ``--download-dir`` also writes the results there.
The exit code is non-zero when any try-on failed (or the wait timed out). With
``--outfit`` the selected garments (one per category) are worn together: one try-on per
model photo that suits them all, priced as the provider calls it takes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import NoReverseMatch, reverse

from django_tryon.conf import tryon_settings
from django_tryon.models import Garment, Source, Status, TryOnJob
from django_tryon.services.generation import (
    AliasPlan,
    BatchProgress,
    GarmentSelection,
    GenerationPlan,
    batch_results,
    check_alias,
    check_selection,
    create_batch,
    download_results,
    garments_by_ids,
    generate_outfits,
    model_photos_by_ids,
    nothing_to_generate,
    plan_generation,
    plan_outfit,
    products_by_ids,
    select_garments,
    suitable_model_photos,
    wait_for_batch,
)


class ProgressBar:
    """``[#########.........]  9/20 done · 3 running · 1 failed · 9 credits``.

    Redrawn in place on a terminal; elsewhere (logs, CI) one line per change.
    """

    def __init__(self, write: Callable[[str], None], *, interactive: bool, width: int = 30) -> None:
        self.write = write
        self.interactive = interactive
        self.width = width
        self.last = ""

    def update(self, progress: BatchProgress) -> None:
        filled = self.width * progress.done // progress.total if progress.total else self.width
        line = (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {progress.done:>{len(str(progress.total))}}"
            f"/{progress.total} done · {progress.running} running · {progress.failed} failed"
            f" · {progress.credits} credits"
        )
        if line == self.last:
            return
        self.write(f"\r{line}" if self.interactive else f"{line}\n")
        self.last = line

    def finish(self) -> None:
        if self.interactive and self.last:
            self.write("\n")


class Command(BaseCommand):
    help = (
        "Generate try-ons of products' garments on your model photos, in bulk. Prints the "
        "try-ons it would make or skip and their cost with --dry-run; --wait follows the batch "
        "and exits non-zero if any try-on failed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--products", nargs="+", metavar="ID", help="Products, by id.")
        which.add_argument("--garments", nargs="+", type=int, metavar="ID", help="Garments, by id.")
        which.add_argument("--all", action="store_true", help="Every active garment.")
        parser.add_argument(
            "--product-model",
            metavar="APP.MODEL",
            help="The model of --products (default: the one model garments are attached to).",
        )
        parser.add_argument(
            "--model-photos",
            nargs="+",
            type=int,
            metavar="ID",
            help="Model photos to use (default: every active one that suits the garments).",
        )
        parser.add_argument(
            "--provider",
            metavar="ALIAS",
            help="Provider alias (default: TRYON['DEFAULT_PROVIDER']).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Print the try-ons, skips and cost; create nothing.",
        )
        parser.add_argument(
            "--wait", action="store_true", help="Follow the batch until it ends, then sum it up."
        )
        parser.add_argument(
            "--timeout", type=float, metavar="SECONDS", help="Stop waiting after this long."
        )
        parser.add_argument(
            "--download-dir",
            metavar="DIR",
            help="Also write the results (new and already existing) into DIR. Implies --wait.",
        )
        parser.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between progress checks (1)."
        )
        parser.add_argument(
            "--outfit",
            action="store_true",
            help="Wear the selected garments together (one per category): one try-on per "
            "model photo.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias = options["provider"] or tryon_settings.DEFAULT_PROVIDER
        if options["outfit"]:
            self.handle_outfit(alias, options)
            return
        try:
            selection = self.selection(options)
            photos = (
                model_photos_by_ids(options["model_photos"])
                if options["model_photos"]
                else suitable_model_photos(selection.categories)
            )
            check_selection(selection, photos)
            if not options["dry_run"]:
                check_alias(alias)  # unknown or paused: refused with the reason
            plan = plan_generation(selection.garments, photos, aliases=[alias])
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        chosen = plan.alias(alias)
        self.describe(
            selection, plan, chosen, listing=options["dry_run"] or options["verbosity"] > 1
        )

        if options["dry_run"]:
            if chosen.is_paused:
                self.stdout.write(self.style.WARNING(f"{alias} is paused: {chosen.paused_reason}"))
            self.stdout.write("Dry run: nothing was created.")
            return
        download_dir = options["download_dir"]
        skipped_results = [
            job.existing_id
            for job in chosen.skipped
            if job.existing_id is not None and job.existing_status == Status.SUCCEEDED
        ]
        if not chosen.jobs:
            self.stdout.write(nothing_to_generate(plan, chosen))
            if download_dir:
                existing = TryOnJob.objects.filter(pk__in=skipped_results).exclude(result="")
                self.write_downloads(
                    download_results(existing.order_by("pk"), download_dir), download_dir
                )
            return
        try:
            batch = create_batch(plan, alias, source=Source.COMMAND)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created batch #{batch.pk}: {len(chosen.jobs)} try-on(s) with {alias}, "
                f"about {chosen.credits} credits."
            )
        )
        if not (options["wait"] or download_dir):
            where = self.batch_page(batch.pk)
            self.stdout.write(f"Follow it{' at ' + where if where else ''}, or run with --wait.")
            return

        bar = ProgressBar(self.draw, interactive=self.stdout.isatty())
        show = bar.update if options["verbosity"] > 0 else None
        progress = wait_for_batch(
            batch, timeout=options["timeout"], interval=options["interval"], on_progress=show
        )
        bar.finish()
        self.summarise(batch.pk, progress)
        if download_dir:
            written = download_results(batch_results(batch, also=skipped_results), download_dir)
            self.write_downloads(written, download_dir)
        if not progress.finished:
            raise CommandError(
                f"Stopped waiting after {options['timeout']:g} s with {progress.active} try-on(s) "
                "still active; they go on."
            )
        if progress.failed:
            raise CommandError(f"{progress.failed} of {progress.total} try-ons failed.")

    def handle_outfit(self, alias: str, options: dict[str, Any]) -> None:
        try:
            garments = self.selection(options).garments
            photos = (
                model_photos_by_ids(options["model_photos"])
                if options["model_photos"]
                else suitable_model_photos({g.category for g in garments})
            )
            plan = plan_outfit(garments, photos, alias)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        write = self.stdout.write
        write(
            f"Outfit of {len(plan.garments)} garment(s): "
            + ", ".join(f"{g} ({g.category})" for g in plan.garments)
        )
        write(
            f"With {plan.name} ({plan.alias}): {plan.calls} call(s) per picture, "
            f"{plan.credits_per_outfit} credit(s) per picture."
        )
        for photo in plan.model_photos:
            write(f"  new   outfit × {photo}")
        for photo in plan.unsuited:
            write(self.style.WARNING(f"  {photo} doesn't suit every garment's category"))
        write(f"Estimated cost: {plan.credits} credits.")
        if options["dry_run"]:
            write("Dry run: nothing was created.")
            return
        try:
            batch = generate_outfits(plan, source=Source.COMMAND)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        write(self.style.SUCCESS(f"Created batch #{batch.pk}: {len(plan.model_photos)} outfit(s)."))
        if options["wait"] or options["download_dir"]:
            progress = wait_for_batch(
                batch, timeout=options["timeout"], interval=options["interval"]
            )
            self.summarise(batch.pk, progress)
            if options["download_dir"]:
                written = download_results(batch_results(batch), options["download_dir"])
                self.write_downloads(written, options["download_dir"])
            if not progress.finished or progress.failed:
                raise CommandError(f"{progress.failed} of {progress.total} outfits failed.")

    # Selection ----------------------------------------------------------------------------

    def selection(self, options: dict[str, Any]) -> GarmentSelection:
        if options["products"]:
            return select_garments(
                products_by_ids(options["products"], model=options["product_model"])
            )
        if options["garments"]:
            return select_garments(garments_by_ids(options["garments"]))
        return select_garments(Garment.objects.all())

    # Output -------------------------------------------------------------------------------

    def describe(
        self, selection: GarmentSelection, plan: GenerationPlan, chosen: AliasPlan, *, listing: bool
    ) -> None:
        write = self.stdout.write
        write(
            f"{len(plan.garments)} garment(s) × {len(plan.model_photos)} model photo(s), "
            f"with {chosen.name} ({chosen.alias}, {chosen.credits_per_job} credit(s) per try-on)."
        )
        if selection.products_without_garments:
            write(f"  {selection.products_without_garments} product(s) without a garment left out.")
        for refusal in plan.refused:
            write(self.style.WARNING(f"  left out: {refusal.obj}: {refusal.message}"))
        for garment in plan.unmatched:
            write(
                self.style.WARNING(f"  no chosen model photo suits {garment} ({garment.category})")
            )
        for refusal in chosen.unsupported:
            write(self.style.WARNING(f"  {chosen.alias} can't do {refusal.obj}: {refusal.message}"))
        if listing:
            for job in chosen.jobs:
                write(f"  new   {job.garment} × {job.model_photo}")
            for job in chosen.skipped:
                why = "exists" if job.existing_status == Status.SUCCEEDED else "is being made"
                write(
                    f"  skip  {job.garment} × {job.model_photo}: identical try-on #{job.existing_id} {why}"
                )
        write(
            f"{len(chosen.jobs)} new try-on(s), {len(chosen.skipped)} skipped (identical result "
            f"exists or is being made), {len(chosen.unsupported)} garment(s) unsupported."
        )
        write(f"Estimated cost: {chosen.credits} credits.")

    def summarise(self, batch_id: int, progress: BatchProgress) -> None:
        style = (
            self.style.SUCCESS if progress.finished and not progress.failed else self.style.ERROR
        )
        self.stdout.write(
            style(
                f"Batch #{batch_id}: {progress.succeeded} succeeded, {progress.failed} failed, "
                f"{progress.canceled} canceled, {progress.active} still active; "
                f"{progress.credits} credits spent."
            )
        )
        failed = TryOnJob.objects.filter(batch_id=batch_id, status=Status.FAILED).select_related(
            "garment", "model_photo"
        )
        for job in failed.order_by("pk")[:50]:
            code = f" [{job.error_code}{'/' + job.provider_error_code if job.provider_error_code else ''}]"
            self.stdout.write(
                f"  #{job.pk} {job.garment} × {job.model_photo}: {job.error_message}{code}"
            )

    def draw(self, text: str) -> None:
        self.stdout.write(text, ending="")
        self.stdout.flush()

    def write_downloads(self, written: list[Any], directory: str) -> None:
        self.stdout.write(f"Wrote {len(written)} result file(s) to {directory}.")

    def batch_page(self, batch_id: int) -> str:
        try:
            return reverse("admin:django_tryon_tryonjob_batch", args=[batch_id])
        except NoReverseMatch:
            return ""
