"""Shoppers for the conversion tests: sessions, their try-ons, and their events."""

from __future__ import annotations

import random
from decimal import Decimal

from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from django_tryon.models import Garment, Source, Status, TryOnJob
from django_tryon.services import owners, record_order
from django_tryon.services.conversions import EventInput, record_events
from django_tryon.testing.conversions import ShopperPlay

PRICES = [Decimal("19.00"), Decimal("59.00"), Decimal("129.00")]


def shopper_request():
    """A request with a fresh session of its own (a new shopper)."""
    request = RequestFactory().post("/tryon/events/")
    request.session = SessionStore()
    return request


def key(product) -> str:
    return f"{product._meta.label_lower}:{product.pk}"


def result_job(request, garment: Garment, *, credits: int = 1, status=Status.SUCCEEDED) -> TryOnJob:
    """A try-on of ``garment`` owned by the request's session (given an owner if it has none)."""
    owner = owners.new_owner(request)
    owners.keep_owner(request)
    return TryOnJob.objects.create(
        garment=garment,
        category=garment.category,
        provider="sandbox",
        source=Source.SHOPPER,
        owner=owner,
        status=status,
        credits_charged=credits,
        fingerprint="f" * 64,
    )


def send(request, *events: tuple[str, object, TryOnJob | None]) -> int:
    """Record ``(type, product, job)`` events as the endpoint would."""
    return record_events(
        request,
        [
            EventInput(kind, key(product), job.token if job else None)
            for kind, product, job in events
        ],
    )


def play(products, rng: random.Random) -> ShopperPlay:
    """One random shopper through the shop, recorded as they go."""
    request = shopper_request()
    done = ShopperPlay()
    for product, price in zip(products, PRICES, strict=True):
        if rng.random() < 0.3:
            continue
        k = key(product)
        send(request, ("view", product, None))
        done.viewed.add(k)
        job = None
        if rng.random() < 0.5:
            send(request, ("open", product, None))
            done.opened.add(k)
            if rng.random() < 0.7:
                job = result_job(request, Garment.objects.for_product(product).get(), credits=2)
                send(request, ("result", product, job))
                done.results.add(k)
        if rng.random() < 0.4:
            send(request, ("add_to_cart", product, job))
            done.added.add(k)
            if rng.random() < 0.6:
                record_order(request, [(product, 1, price)])
                done.ordered[k] = price
    return done
