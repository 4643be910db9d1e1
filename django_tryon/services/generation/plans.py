"""Planning a generation: every try-on a selection means, per provider alias, and its cost.

Nothing here writes a job. Every image is read and checked once per plan (not once per
pair) and its digest kept on the row, so the next plan reads none; identical earlier jobs
are found with one query. The query count doesn't grow with the number of pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ...conf import tryon_settings
from ...errors import ErrorCode
from ...imaging import ImageInfo, validate_image
from ...models import ACTIVE_STATUSES, Garment, ModelPhoto, ProviderState, Source, Status, TryOnJob
from ...providers.base import BaseProvider
from ..jobs import check_request, fingerprint, resolve_provider

# Fingerprints per lookup query: well under SQLite's (32,766) and Postgres's (65,535) limits
# on bound parameters, so a single query serves plans of up to this many candidate jobs.
FINGERPRINT_CHUNK = 10_000


# Images may live on remote storage (S3...): a few threads hide the round trips, and both
# Pillow's decoder and hashlib release the GIL while they work.
IMAGE_READ_THREADS = 8


def check_alias(alias: str | None) -> BaseProvider:
    """The provider behind ``alias``; an unknown or paused alias is refused with the reason."""
    backend = resolve_provider(alias)
    state = ProviderState.objects.filter(alias=backend.alias, paused_at__isnull=False).first()
    if state is not None:
        raise paused_error(backend.display_name, backend.alias, state.pause_reason)
    return backend


def paused_error(name: str, alias: str, reason: str) -> ValidationError:
    return ValidationError(
        _(
            "%(name)s (%(alias)s) is paused: %(reason)s Resume it from the try-on overview "
            "once the account is in order."
        ),
        code=ErrorCode.PROVIDER_PAUSED,
        params={"name": name, "alias": alias, "reason": reason or _("an account error.")},
    )


@dataclass(frozen=True)
class Refusal:
    """A garment or model photo left out of the plan, and why (in plain words)."""

    obj: Garment | ModelPhoto
    message: str


@dataclass(frozen=True)
class PlannedJob:
    garment: Garment
    model_photo: ModelPhoto
    fingerprint: str
    # An identical job that succeeded or is under way, which makes this one unnecessary.
    existing_id: int | None = None
    existing_status: str = ""


@dataclass
class AliasPlan:
    """What generating with one provider alias would do."""

    alias: str
    name: str
    credits_per_job: int
    jobs: list[PlannedJob] = field(default_factory=list)
    skipped: list[PlannedJob] = field(default_factory=list)
    unsupported: list[Refusal] = field(default_factory=list)
    paused_reason: str | None = None  # None: the alias takes jobs

    @property
    def credits(self) -> int:
        return self.credits_per_job * len(self.jobs)

    @property
    def is_paused(self) -> bool:
        return self.paused_reason is not None

    @property
    def skipped_existing(self) -> int:
        return sum(1 for job in self.skipped if job.existing_status == Status.SUCCEEDED)

    @property
    def skipped_in_progress(self) -> int:
        return len(self.skipped) - self.skipped_existing


@dataclass
class GenerationPlan:
    garments: list[Garment]  # usable garments
    model_photos: list[ModelPhoto]  # usable model photos
    refused: list[Refusal]  # images that failed the checks
    unmatched: list[Garment]  # garments no chosen model photo suits
    aliases: dict[str, AliasPlan]

    def alias(self, alias: str | None) -> AliasPlan:
        """The plan for ``alias`` (the default provider when None)."""
        key = alias or tryon_settings.DEFAULT_PROVIDER
        if key not in self.aliases:
            resolve_provider(key)  # raises the "unknown provider" error
            raise ValidationError(
                _("%(alias)r was not part of this plan."),
                code=ErrorCode.NOT_PLANNED,
                params={"alias": key},
            )
        return self.aliases[key]


def plan_generation(
    garments: Sequence[Garment],
    model_photos: Iterable[ModelPhoto],
    *,
    aliases: Iterable[str] | None = None,
) -> GenerationPlan:
    """Every new, skipped and unsupported try-on of ``garments`` × ``model_photos``.

    ``aliases`` defaults to every configured provider alias, so the merchant can compare
    costs; an unknown alias raises ``ValidationError``. Nothing is written.
    """
    backends = [resolve_provider(alias) for alias in (aliases or tryon_settings.provider_aliases())]
    photos = [photo for photo in model_photos if photo.is_active]
    refused: list[Refusal] = []
    digests = _digests([*garments, *photos], refused)
    usable_garments = [g for g in garments if _key(g) in digests]
    usable_photos = [p for p in photos if _key(p) in digests]
    pairs = [(g, p) for g in usable_garments for p in usable_photos if p.suits(g.category)]
    paired = {id(g) for g, _ in pairs}
    unmatched = [g for g in usable_garments if id(g) not in paired]

    paused = dict(
        ProviderState.objects.filter(
            alias__in=[b.alias for b in backends], paused_at__isnull=False
        ).values_list("alias", "pause_reason")
    )
    candidates: dict[str, list[PlannedJob]] = {}
    plans: dict[str, AliasPlan] = {}
    for backend in backends:
        plan = AliasPlan(
            alias=backend.alias,
            name=backend.display_name,
            credits_per_job=backend.estimate_credits(),
            paused_reason=paused.get(backend.alias),
        )
        supported = set()
        for garment in usable_garments:
            try:
                check_request(
                    backend, category=garment.category, garment=garment, prompt="", options={}
                )
            except ValidationError as error:
                plan.unsupported.append(Refusal(garment, " ".join(error.messages)))
            else:
                supported.add(id(garment))
        candidates[backend.alias] = [
            PlannedJob(g, p, _fingerprint(g, p, backend.alias, digests))
            for g, p in pairs
            if id(g) in supported
        ]
        plans[backend.alias] = plan

    existing = _existing_jobs(job.fingerprint for jobs in candidates.values() for job in jobs)
    for alias, jobs in candidates.items():
        for job in jobs:
            if job.fingerprint in existing:
                pk, status = existing[job.fingerprint]
                plans[alias].skipped.append(
                    PlannedJob(job.garment, job.model_photo, job.fingerprint, pk, status)
                )
            else:
                plans[alias].jobs.append(job)
    return GenerationPlan(usable_garments, usable_photos, refused, unmatched, plans)


def _key(obj: Garment | ModelPhoto) -> tuple[type, int]:
    return type(obj), obj.pk


def _digests(objects: Sequence[Garment | ModelPhoto], refused: list[Refusal]) -> dict[Any, str]:
    """The content digest of each object's image; refusals go to ``refused``.

    Digests stored on the rows are used as they are. Missing ones are computed, each file
    read and validated once, and stored back with one UPDATE per model, so the next plan
    (the admin's confirmation after its preview) reads no file at all. A garment described
    only by a prompt has no image and an empty digest.
    """
    digests: dict[Any, str] = {}
    to_read = []
    for obj in objects:
        if obj.image and obj.image_digest:
            digests[_key(obj)] = obj.image_digest
        elif obj.image:
            to_read.append(obj)
        elif isinstance(obj, Garment) and obj.prompt:
            digests[_key(obj)] = ""
        else:
            refused.append(Refusal(obj, str(_("It has no image."))))

    threads = min(IMAGE_READ_THREADS, len(to_read))
    if threads > 1:
        with ThreadPoolExecutor(threads, thread_name_prefix="tryon-images") as pool:
            results = list(pool.map(_read_image, to_read))
    else:
        results = [_read_image(obj) for obj in to_read]
    digested: dict[type[models.Model], list[Any]] = defaultdict(list)
    undimensioned: dict[type[models.Model], list[Any]] = defaultdict(list)
    for obj, result in zip(to_read, results, strict=True):
        if isinstance(result, ValidationError):
            refused.append(Refusal(obj, " ".join(result.messages)))
            continue
        digests[_key(obj)] = obj.image_digest = result.digest
        digested[type(obj)].append(obj)
        if not (obj.image_width and obj.image_height):
            # Saved from nameless content, the row lacks its dimensions, and Django reads
            # the file again on every load to find them: fill them in while we have them.
            obj.image_width, obj.image_height = result.width, result.height
            undimensioned[type(obj)].append(obj)
    # One field per bulk_update where possible: its CASE expressions cost per row and field.
    for model, objs in digested.items():
        model._default_manager.bulk_update(objs, ["image_digest"])
    for model, objs in undimensioned.items():
        model._default_manager.bulk_update(objs, ["image_width", "image_height"])
    return digests


def _read_image(obj: Garment | ModelPhoto) -> ImageInfo | ValidationError:
    try:
        with obj.image.open("rb") as handle:
            return validate_image(handle)
    except ValidationError as error:
        return error
    except OSError:  # missing from storage, unreadable
        return ValidationError(_("Its image can't be read from storage."))


def _fingerprint(garment: Garment, photo: ModelPhoto, alias: str, digests: dict[Any, str]) -> str:
    # Exactly what request_tryon() computes for the same inputs, so both find each other's jobs.
    return fingerprint(
        person_digest=digests[_key(photo)],
        garment_digest=digests[_key(garment)],
        prompt=garment.prompt,
        category=garment.category,
        provider=alias,
        options={},
        description=garment.description,
    )


def _existing_jobs(fingerprints: Iterable[str]) -> dict[str, tuple[int, str]]:
    """Fingerprint -> (job id, status) of a stored result or a job under way."""
    wanted = sorted(set(fingerprints))
    found: dict[str, tuple[int, str]] = {}
    useful = Q(status__in=ACTIVE_STATUSES) | (Q(status=Status.SUCCEEDED) & ~Q(result=""))
    for start in range(0, len(wanted), FINGERPRINT_CHUNK):
        rows = (
            TryOnJob.objects.live()
            .filter(useful, fingerprint__in=wanted[start : start + FINGERPRINT_CHUNK])
            .exclude(source=Source.SHOPPER)  # a shopper's result is never the shop's to use
            .order_by("pk")
            .values_list("fingerprint", "pk", "status")
        )
        for fp, pk, status in rows:
            # A stored result beats one under way: it's what the merchant can use today.
            if fp not in found or status == Status.SUCCEEDED:
                found[fp] = (pk, status)
    return found


def nothing_to_generate(plan: GenerationPlan, chosen: AliasPlan) -> str:
    """Why ``chosen`` would create no job, in the merchant's words."""
    if chosen.skipped:
        return ngettext(
            "The try-on already exists or is being made: there is nothing new to generate.",
            "All %(count)d try-ons already exist or are being made: there is nothing new to "
            "generate.",
            len(chosen.skipped),
        ) % {"count": len(chosen.skipped)}
    if chosen.unsupported and len(chosen.unsupported) == len(plan.garments):
        return str(
            _("%(name)s can't do these garments: %(reason)s")
            % {"name": chosen.name, "reason": chosen.unsupported[0].message}
        )
    if plan.unmatched and len(plan.unmatched) == len(plan.garments):
        return str(_("None of the chosen model photos suits these garments' categories."))
    if plan.refused and not (plan.garments and plan.model_photos):
        return str(_("The garment or model photo images could not be used: %(reason)s")) % {
            "reason": plan.refused[0].message
        }
    return str(_("There is nothing to generate for this selection."))
