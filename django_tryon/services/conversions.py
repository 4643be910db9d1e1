"""What the conversion report counts: the widget's events and the shop's orders.

- ``record_events``: the batch the widget posts to ``tryon/events/`` (views of a try-on
  product, opening the widget, a result shown, "Add to bag" from a result);
- ``record_order``: the one call a shop makes when an order is placed.

Both attribute what they store to the request session's owner hash (``owners``), the same
pseudonym a shopper's try-ons carry, and nothing else about the shopper. Views and opens
count once per owner, product and day, so reloading a page doesn't inflate the report; a
result counts once per job, and only for a job of the same owner that succeeded. Every row
expires ``CONVERSION_RETENTION_DAYS`` after it was stored (``delete_expired_conversions``,
run by the hourly cleanup with the shoppers' expired try-ons).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import rate_limits, signals
from ..adapters import get_adapter
from ..conf import tryon_settings
from ..errors import ErrorCode, ShopperError
from ..models import (
    EventKind,
    Garment,
    RecordedOrder,
    RecordedOrderLine,
    ShopperEvent,
    Source,
    Status,
    TryOnJob,
)
from . import owners

MAX_EVENTS = 50  # per request to the events endpoint
MAX_BODY_BYTES = 32 * 1024  # 50 events take a few kilobytes
# Owners of made-up shoppers (a demo history, e.g. the example shop's ``seed_demo``): the
# report says how many of its shoppers are such. A real owner is a hex digest, never this.
DEMO_OWNER_PREFIX = "demo:"
JOB_KINDS = (EventKind.RESULT, EventKind.ADD_TO_CART)


@dataclass(frozen=True)
class EventInput:
    """One event as the widget sent it, checked for shape (not yet for meaning)."""

    kind: str
    product: str
    job: str | None


class MalformedEvents(ValueError):
    """The body is not ``{"events": [...]}`` of at most ``MAX_EVENTS`` well-formed events."""


def parse_events(body: Any) -> list[EventInput]:
    """Check the shape of the events endpoint's JSON body; raises ``MalformedEvents``."""
    if not isinstance(body, Mapping) or not isinstance(body.get("events"), list):
        raise MalformedEvents("expected an object with a list 'events'")
    raw = body["events"]
    if len(raw) > MAX_EVENTS:
        raise MalformedEvents(f"at most {MAX_EVENTS} events per request")
    events = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise MalformedEvents("each event is an object")
        kind, product, job = item.get("type"), item.get("product"), item.get("job")
        if kind not in EventKind.values:
            raise MalformedEvents("unknown event type")
        if isinstance(product, int) and not isinstance(product, bool):
            product = str(product)
        if not isinstance(product, str) or not 0 < len(product) <= 200 or "\x00" in product:
            raise MalformedEvents("'product' is a product's key as a string")
        if job is not None and (not isinstance(job, str) or not 0 < len(job) <= 64):
            raise MalformedEvents("'job' is a job token or null")
        events.append(EventInput(kind, product, job))
    return events


def expiry(now: datetime | None = None) -> datetime:
    """When a row stored now expires."""
    return (now or timezone.now()) + timedelta(days=tryon_settings.CONVERSION_RETENTION_DAYS)


def accept_events(request: HttpRequest, body: bytes) -> int:
    """The events endpoint's work: the client's rate limit, the body's shape, the events.

    Raises ``ShopperError`` (``rate_limited``, ``request_too_large``, ``bad_request``).
    """
    from .shopper import client_ip

    if len(body) > MAX_BODY_BYTES:
        raise ShopperError(ErrorCode.REQUEST_TOO_LARGE)
    limit = tryon_settings.events_rate_limit()
    if limit is not None:
        hit = rate_limits.hit("EVENTS", client_ip(request), limit)
        if not hit.allowed:
            raise ShopperError(
                ErrorCode.RATE_LIMITED,
                _("Too many requests. Please try again later."),
                retry_after=hit.retry_after,
            )
    try:
        events = parse_events(json.loads(body))
    except (ValueError, UnicodeDecodeError, RecursionError):  # MalformedEvents too
        raise ShopperError(ErrorCode.BAD_REQUEST) from None
    return record_events(request, events)


# Products --------------------------------------------------------------------------------


def _product_models() -> list[type[models.Model]]:
    """Models a product key may name: the adapter's, then those garments are attached to."""
    found: list[type[models.Model]] = list(get_adapter().product_models())
    type_ids = Garment.objects.order_by().values_list("content_type", flat=True).distinct()
    for content_type in ContentType.objects.filter(pk__in=type_ids):
        model = content_type.model_class()
        if model is not None and model not in found:
            found.append(model)
    return found


def resolve_products(keys: Iterable[str]) -> dict[str, tuple[ContentType, str]]:
    """``{key: (content type, pk)}`` for the keys that name an existing product.

    A key is a product's pk (``"12"``) or its label and pk (``"shop.product:12"``, as the
    widget's configuration has it). A pk that several product models have means the first
    of them (the adapter's models first). Unknown keys are left out. One query per model.
    """
    keys = set(keys)
    if not keys:
        return {}
    wanted: dict[type[models.Model] | None, set[str]] = {}
    for key in keys:
        label, _, pk = key.rpartition(":")
        model = None
        if label:
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                continue
        wanted.setdefault(model, set()).add(pk)
    resolved: dict[str, tuple[ContentType, str]] = {}
    candidates = _product_models()
    for model in candidates:
        pks = set(wanted.get(None, set())) | set(wanted.get(model, set()))
        if not pks:
            continue
        existing = _existing_pks(model, pks)
        content_type = ContentType.objects.get_for_model(model)
        for pk in existing:
            if pk in wanted.get(model, set()):
                resolved.setdefault(f"{model._meta.label_lower}:{pk}", (content_type, pk))
            if pk in wanted.get(None, set()):
                resolved.setdefault(pk, (content_type, pk))
    return {key: value for key, value in resolved.items() if key in keys}


def _existing_pks(model: type[models.Model], pks: set[str]) -> set[str]:
    field = model._meta.pk
    assert field is not None
    valid = []
    for pk in pks:
        try:
            value = field.to_python(pk)
            # An integer key past the column's range (the database's validators) would
            # raise OverflowError in the query: it names no row.
            field.run_validators(value)
        except Exception:  # noqa: S112 - not a key of this model
            continue
        valid.append(value)
    if not valid:
        return set()
    found = model._default_manager.filter(pk__in=valid).values_list("pk", flat=True)
    return {str(pk) for pk in found}


def product_key(product: models.Model) -> tuple[ContentType, str]:
    return ContentType.objects.get_for_model(product), str(product.pk)


# Events ------------------------------------------------------------------------------------


def record_events(request: HttpRequest, events: Sequence[EventInput]) -> int:
    """Store the widget's events for this session's owner; returns how many were accepted
    (repeats of a view, an open or a result among them are then not stored twice).

    Unknown products, and results or adds to cart naming a job that isn't this owner's
    (or, for a result, hasn't succeeded), are ignored. A session without an owner gets
    one, as with its first try-on: it is what links a view to a later order.
    """
    if not events:
        return 0
    products = resolve_products(event.product for event in events)
    known = [event for event in events if event.product in products]
    if not known:
        return 0
    owner = owners.new_owner(request)
    jobs = _owned_jobs(owner, {e.job for e in known if e.job and e.kind in JOB_KINDS})
    now = timezone.now()
    day, expires_at = timezone.localdate(now), expiry(now)
    rows = []
    added: list[tuple[TryOnJob, Any]] = []
    for event in known:
        content_type, pk = products[event.product]
        job = jobs.get(event.job or "") if event.kind in JOB_KINDS else None
        if event.kind == EventKind.RESULT and (job is None or job.status != Status.SUCCEEDED):
            continue
        rows.append(
            ShopperEvent(
                kind=event.kind,
                owner=owner,
                content_type=content_type,
                object_id=pk,
                job=job,
                credits=job.credits_charged if job and event.kind == EventKind.RESULT else 0,
                day=day,
                created_at=now,
                expires_at=expires_at,
            )
        )
        if event.kind == EventKind.ADD_TO_CART and job is not None:
            added.append((job, content_type.get_object_for_this_type(pk=pk)))
    if not rows:
        return 0
    # Conflicts are the repeats (same view today, same result): the first one counts.
    ShopperEvent.objects.bulk_create(rows, ignore_conflicts=True)
    owners.keep_owner(request)
    for job, product in added:
        signals.tryon_add_to_cart.send(sender=TryOnJob, job=job, product=product, request=request)
    return len(rows)


def _owned_jobs(owner: str, tokens: set[str]) -> dict[str, TryOnJob]:
    if not tokens:
        return {}
    jobs = TryOnJob.objects.filter(token__in=tokens, owner=owner, source=Source.SHOPPER).only(
        "token", "status", "credits_charged", "garment"
    )
    return {job.token: job for job in jobs}


# Orders ------------------------------------------------------------------------------------

OrderLine = tuple[models.Model, int, Decimal]


def record_order(
    request: HttpRequest | None,
    lines: Iterable[OrderLine],
    *,
    reference: str | None = None,
) -> RecordedOrder:
    """Report an order to the conversion report: call it once the order is placed.

    ``lines`` are ``(product, quantity, unit_price)``; the product is any model instance
    (what the widget was shown for), the price a ``Decimal`` in the shop's currency. The
    order is attributed to the request session's owner hash, if it has one (a shopper who
    never saw the widget has none: their order is kept, but in neither group).
    ``reference`` is the shop's order number, to find the row again. Sends
    ``order_recorded``.
    """
    owner = owners.get_owner(request) if request is not None else ""
    now = timezone.now()
    prepared = []
    for product, quantity, unit_price in lines:
        try:
            price = Decimal(unit_price)
        except (InvalidOperation, TypeError, ValueError):
            raise ValueError(f"unit price {unit_price!r} is not a decimal") from None
        count = int(quantity)
        if count < 0 or price < 0:
            raise ValueError("quantities and prices can't be negative")
        content_type, pk = product_key(product)
        prepared.append(
            RecordedOrderLine(
                content_type=content_type,
                object_id=pk,
                quantity=count,
                unit_price=price,
                value=price * count,
            )
        )
    with transaction.atomic():
        order = RecordedOrder.objects.create(
            owner=owner,
            reference=(reference or "")[:128],
            total=sum((line.value for line in prepared), Decimal(0)),
            created_at=now,
            expires_at=expiry(now),
        )
        for line in prepared:
            line.order, line.owner, line.created_at = order, owner, now
        RecordedOrderLine.objects.bulk_create(prepared)
    signals.order_recorded.send(sender=TryOnJob, order=order, request=request)
    return order


# Retention ---------------------------------------------------------------------------------


def delete_expired_conversions(now: datetime | None = None) -> int:
    """Delete events and orders past ``expires_at``; returns how many rows (lines included)."""
    now = now or timezone.now()
    events, _ = ShopperEvent.objects.filter(expires_at__lte=now).delete()
    orders, _ = RecordedOrder.objects.filter(expires_at__lte=now).delete()
    return events + orders
