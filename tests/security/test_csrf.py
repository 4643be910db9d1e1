"""CSRF: every state-changing request without the token is refused and changes nothing.

Every route of the app (``urls.routes()``: the shopper API and the admin pages of its
models) gets POST, PUT, PATCH and DELETE without a CSRF token, from a session that would
otherwise be allowed (the shopper who owns the job; a superuser). The answer must be 403
(or 405 for a route that takes no such method), and nothing may change. Each admin action
is posted the same way. A control request with the token shows the probes reach the views.

Webhooks are the one exception by design: they are signed by the provider instead
(``test_webhooks.py`` checks that an unsigned one changes nothing).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_tryon.models import ProviderState, Status, TryOnJob
from tests.fixtures import make_image
from tests.reliability.figures import record
from tests.security.conftest import Browser
from tests.security.urls import Shop, actions, routes, staff

pytestmark = pytest.mark.django_db
UNSAFE = ("post", "put", "patch", "delete")


@pytest.fixture
def shop(shopper_browser, garment, model_photo, settings) -> Shop:
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    response = shopper_browser.upload(garment, make_image((640, 800)))
    assert response.status_code == 201
    shopper_job = TryOnJob.objects.get(token=response.json()["token"])
    return Shop(garment, model_photo, shopper_job)


def no_token(client: Client) -> Client:
    client.handler.enforce_csrf_checks = True
    return client


def owner_without_header(shopper_browser: Browser) -> Client:
    """The owner's own browser session and CSRF cookie, but no token in the request."""
    client = Client(enforce_csrf_checks=True)
    client.cookies = shopper_browser.cookies
    return client


def test_every_unsafe_request_without_a_token_is_refused(shop, shopper_browser):
    superuser = no_token(Client())
    superuser.force_login(staff("root", superuser=True))
    superuser.cookies["csrftoken"] = "x" * 32  # a cookie, but no matching token sent
    probes = 0
    for route in routes():
        if route.is_webhook:
            continue
        url = shop.url(route)
        for method in UNSAFE:
            if route.is_admin:
                clients = [superuser]
            else:
                clients = [Client(enforce_csrf_checks=True), owner_without_header(shopper_browser)]
            for client in clients:
                before = shop.state()
                response = getattr(client, method)(url, {"action": "delete_selected"})
                assert response.status_code in (403, 405), (method, url, response.status_code)
                assert shop.state() == before, (method, url)
                probes += 1
    record("security_probes", csrf=probes)


def test_every_admin_action_without_a_token_is_refused(shop):
    superuser = no_token(Client())
    superuser.force_login(staff("root", superuser=True))
    probes = 0
    for model, action in actions():
        meta = model._meta
        changelist = f"/admin/{meta.app_label}/{meta.model_name}/"
        pk = shop.object_for_model(model).pk
        before = shop.state()
        response = superuser.post(
            changelist, {"action": action, "_selected_action": [pk], "post": "yes"}
        )
        assert response.status_code == 403, (action, response.status_code)
        assert shop.state() == before, action
        probes += 1
    record("security_probes", csrf=probes)


def test_with_the_token_the_same_requests_go_through(shop, shopper_browser):
    """The control: the probes above are refused for the missing token, not by accident."""
    admin = Browser()
    admin.force_login(staff("root", superuser=True))
    response = admin.post("/admin/django_tryon/tryonjob/overview/resume/", {"alias": "sandbox"})
    assert response.status_code == 302
    assert not ProviderState.objects.get(alias="sandbox").is_paused
    canceled = shopper_browser.post(f"/tryon/jobs/{shop.shopper_job.token}/cancel/")
    assert canceled.status_code == 200  # it had ended: left as it is
    deleted = shopper_browser.delete(f"/tryon/jobs/{shop.shopper_job.token}/")
    assert deleted.status_code == 204
    assert not TryOnJob.objects.filter(pk=shop.shopper_job.pk).exists()


def test_a_token_from_another_origin_is_refused(shop, shopper_browser, settings: Any):
    """A cross-site form post over HTTPS: the Referer check refuses it, token or not."""
    response = shopper_browser.post(
        f"/tryon/jobs/{shop.shopper_job.token}/cancel/",
        secure=True,
        HTTP_REFERER="https://evil.example/",
        HTTP_ORIGIN="https://evil.example",
    )
    assert response.status_code == 403
    assert TryOnJob.objects.get(pk=shop.shopper_job.pk).status != Status.CANCELED
    record("security_probes", csrf=1)
