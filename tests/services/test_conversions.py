"""Recording what the conversion report counts: the widget's events and the shop's orders."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from django_tryon import signals
from django_tryon.models import EventKind, RecordedOrder, RecordedOrderLine, ShopperEvent, Status
from django_tryon.services import delete_expired, owners, record_order
from django_tryon.services.conversions import (
    MAX_EVENTS,
    EventInput,
    MalformedEvents,
    parse_events,
    record_events,
    resolve_products,
)
from tests.fixtures import create_garment
from tests.shop.models import Product

from .conversion_support import key, result_job, send, shopper_request

pytestmark = pytest.mark.django_db


@pytest.fixture
def shirt(db):
    product = Product.objects.create(name="Oxford shirt")
    create_garment(product)
    return product


def test_the_body_is_a_list_of_at_most_fifty_well_formed_events():
    events = parse_events({"events": [{"type": "view", "product": "3", "job": None}]})
    assert events == [EventInput("view", "3", None)]
    assert parse_events({"events": [{"type": "open", "product": 3}]}) == [
        EventInput("open", "3", None)
    ]
    for body in (
        [],
        {"events": {}},
        {"events": [{"type": "purchase", "product": "3"}]},
        {"events": [{"type": "view"}]},
        {"events": [{"type": "view", "product": ""}]},
        {"events": [{"type": "view", "product": "3", "job": 7}]},
        {"events": [{"type": "view", "product": True}]},
        {"events": [{"type": "view", "product": "3"}] * (MAX_EVENTS + 1)},
    ):
        with pytest.raises(MalformedEvents):
            parse_events(body)


def test_products_are_found_by_pk_or_by_label_and_pk(shirt):
    plain, labelled = str(shirt.pk), key(shirt)
    found = resolve_products([plain, labelled, "999999", "shop.nothing:1", "not-a-pk"])
    assert set(found) == {plain, labelled}
    assert found[plain][1] == found[labelled][1] == str(shirt.pk)


def test_a_view_is_stored_with_the_sessions_owner_hash_only(shirt):
    request = shopper_request()
    assert send(request, ("view", shirt, None)) == 1
    event = ShopperEvent.objects.get()
    owner = owners.get_owner(request)  # the session got an owner: it links a view to an order
    assert owner and event.owner == owner
    assert (event.kind, event.object_id, event.job) == ("view", str(shirt.pk), None)
    assert event.expires_at > timezone.now() + timedelta(days=89)


def test_views_and_opens_count_once_per_owner_product_and_day(shirt):
    request = shopper_request()
    for _ in range(3):  # three reloads
        send(request, ("view", shirt, None), ("open", shirt, None))
    assert ShopperEvent.objects.filter(kind=EventKind.VIEW).count() == 1
    assert ShopperEvent.objects.filter(kind=EventKind.OPEN).count() == 1
    send(shopper_request(), ("view", shirt, None))  # another shopper
    assert ShopperEvent.objects.filter(kind=EventKind.VIEW).count() == 2


def test_a_key_too_large_for_the_database_is_an_unknown_product(shirt):
    # Found by schemathesis: a pk past the column's range raised OverflowError (a 500).
    huge = str(2**64)
    assert resolve_products([huge, f"shop.product:{huge}", f"shop.product:-{huge}"]) == {}


def test_unknown_products_are_ignored(shirt):
    request = shopper_request()
    assert record_events(request, [EventInput("view", "shop.product:999999", None)]) == 0
    assert not ShopperEvent.objects.exists()
    assert not owners.get_owner(request)  # nothing stored: no owner given either


def test_a_result_counts_once_for_a_succeeded_job_of_the_same_owner(shirt):
    garment = shirt_garment(shirt)
    request = shopper_request()
    job = result_job(request, garment, credits=3)
    failed = result_job(request, garment, status=Status.FAILED)
    someone_else = result_job(shopper_request(), garment)
    send(
        request,
        ("result", shirt, job),
        ("result", shirt, job),
        ("result", shirt, failed),
        ("result", shirt, someone_else),
        ("result", shirt, None),
    )
    result = ShopperEvent.objects.get(kind=EventKind.RESULT)
    assert (result.job, result.credits) == (job, 3)
    job.delete()  # the retention purge: the event stays, without the link, with its credits
    result.refresh_from_db()
    assert (result.job, result.credits) == (None, 3)


def shirt_garment(product):
    from django_tryon.models import Garment

    return Garment.objects.for_product(product).get()


def test_adding_to_cart_from_a_result_sends_tryon_add_to_cart(shirt):
    request = shopper_request()
    job = result_job(request, shirt_garment(shirt))
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.tryon_add_to_cart.connect(receiver)
    try:
        send(request, ("add_to_cart", shirt, job), ("add_to_cart", shirt, None))
    finally:
        signals.tryon_add_to_cart.disconnect(receiver)
    assert len(received) == 1
    assert received[0]["job"] == job and received[0]["product"] == shirt
    assert received[0]["request"] is request
    assert ShopperEvent.objects.filter(kind=EventKind.ADD_TO_CART).count() == 2


def test_record_order_attributes_the_order_to_the_sessions_owner(shirt):
    request = shopper_request()
    send(request, ("view", shirt, None))
    tee = Product.objects.create(name="Tee")
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    signals.order_recorded.connect(receiver)
    try:
        order = record_order(
            request,
            [(shirt, 2, Decimal("59.00")), (tee, 1, Decimal("19.50"))],
            reference="A-1001",
        )
    finally:
        signals.order_recorded.disconnect(receiver)
    assert order.owner == owners.get_owner(request)
    assert (order.reference, order.total) == ("A-1001", Decimal("137.50"))
    values = sorted(order.lines.values_list("object_id", "quantity", "value"))
    assert values == sorted(
        [(str(shirt.pk), 2, Decimal("118.00")), (str(tee.pk), 1, Decimal("19.50"))]
    )
    assert received == [{"signal": signals.order_recorded, "order": order, "request": request}]


def test_an_order_without_a_request_or_an_owner_is_kept_in_neither_group(shirt):
    assert record_order(None, [(shirt, 1, Decimal("10"))]).owner == ""
    assert record_order(shopper_request(), [(shirt, 1, Decimal("10"))]).owner == ""


def test_record_order_refuses_nonsense(shirt):
    with pytest.raises(ValueError):
        record_order(None, [(shirt, 1, "ten")])
    with pytest.raises(ValueError):
        record_order(None, [(shirt, -1, Decimal("10"))])
    assert not RecordedOrder.objects.exists()


def test_events_and_orders_expire_with_the_retention_purge(shirt, settings):
    settings.TRYON = {**getattr(settings, "TRYON", {}), "CONVERSION_RETENTION_DAYS": 30}
    request = shopper_request()
    send(request, ("view", shirt, None))
    record_order(request, [(shirt, 1, Decimal("59.00"))])
    delete_expired(timezone.now() + timedelta(days=29))
    assert ShopperEvent.objects.count() == RecordedOrder.objects.count() == 1
    delete_expired(timezone.now() + timedelta(days=31))
    assert not ShopperEvent.objects.exists()
    assert not RecordedOrder.objects.exists() and not RecordedOrderLine.objects.exists()
