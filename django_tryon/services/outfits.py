"""Outfits: one try-on job that puts several garments on one person.

An outfit is one job to everyone who looks at it (shopper, merchant, API): one status,
one result, one cost. Underneath, a provider whose ``garment_limit`` covers the outfit
takes it in one call; otherwise the pipeline chains calls, each on the previous call's
picture (``django_tryon.pipeline.outfits``). The cost is the sum of the calls, and that
sum is what the daily budgets reserve when the job is created.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..errors import ErrorCode
from ..models import Category, Garment, TryOnJob
from ..providers.base import BaseProvider, GarmentInput, ImageInput, ProviderError, TryOnRequest

#: The most garments one outfit can have: one of each category.
MAX_OUTFIT_GARMENTS = len(Category.values)


def outfit_calls(provider: BaseProvider, garments: int) -> int:
    """Provider calls an outfit of ``garments`` takes at ``provider`` (0 for none)."""
    return -(-garments // provider.garment_limit) if garments > 0 else 0


def outfit_credits(provider: BaseProvider, garments: int) -> int:
    """What an outfit of ``garments`` costs at ``provider``: the sum of its calls."""
    return outfit_calls(provider, max(1, garments)) * provider.estimate_credits()


def check_outfit(provider: BaseProvider, garments: Sequence[Garment]) -> None:
    """Refuse, before anything is stored or spent, an outfit ``provider`` can't make.

    Every garment is active and has a picture, no two are of one category, and every
    call the outfit takes at ``provider`` passes its ``validate``.
    """
    if not garments:
        raise ValidationError(
            _("Choose a garment or describe one."), code=ErrorCode.GARMENT_REQUIRED
        )
    for garment in garments:
        if not garment.is_active:
            raise ValidationError(
                _("This garment is not available for try-on."), code=ErrorCode.GARMENT_INACTIVE
            )
        if not garment.image:
            raise ValidationError(
                _("This service needs a picture of the garment."), code=ErrorCode.INVALID_INPUT
            )
    categories = [garment.category for garment in garments]
    if len(set(categories)) != len(categories) or not set(categories) <= set(Category.values):
        raise ValidationError(
            str(ErrorCode.OUTFIT_CATEGORIES.message), code=ErrorCode.OUTFIT_CATEGORIES
        )
    probes = [GarmentInput(ImageInput(b"", "JPEG"), c) for c in categories]
    for batch in provider.garment_batches(probes):
        request = TryOnRequest(
            person=ImageInput(b"", "JPEG"),
            garment=batch[0].image,
            category=batch[0].category,
            extra_garments=batch[1:],
        )
        try:
            provider.validate(request)
        except ProviderError as error:
            raise ValidationError(error.message, code=error.code) from None


def outfit_fingerprint_parts(garments: Sequence[Garment]) -> dict[str, str]:
    """The garment side of an outfit's fingerprint: every garment's digest and words, in order."""
    return {
        "garment_digest": "+".join(g.image_sha256() for g in garments),
        "description": " + ".join(g.description.strip() for g in garments),
        "category": "+".join(g.category for g in garments),
    }


def request_outfit(
    garments: Sequence[Garment],
    person_image: Any,
    *,
    provider: str | None = None,
    options: dict[str, Any] | None = None,
    reuse: bool = True,
    wait: bool = False,
    timeout: float | None = None,
) -> TryOnJob:
    """Ask for ``person_image`` wearing every one of ``garments`` together, as one job.

    Like ``request_tryon`` (``person_image`` is a ``ModelPhoto`` or an upload's bytes or
    file; bad input raises ``ValidationError`` before anything is stored or spent), with
    at most one garment per category. The job's ``estimated_credits`` is the sum of the
    provider calls the outfit takes there; ``job.outfit_garments()`` lists the garments.
    """
    from .jobs import _request_tryon, wait_for

    garments = list(garments)
    job = _request_tryon(
        garments[0] if garments else None,
        person_image,
        provider=provider,
        options=options,
        reuse=reuse,
        extra_garments=garments[1:],
    )
    return wait_for(job, timeout=timeout) if wait else job
