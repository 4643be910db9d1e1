"""Admin access: every page and action of the app's admin, for those who may not use it.

Anonymous visitors are sent to the login page; staff without permissions get 403 (or the
action is refused) and see nothing of the data; staff who may only *view* try-ons can't
run any action that changes them, can't resume a provider, and can't see shoppers'
photos. Nothing changes in any of these cases, whatever the method.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_tryon.models import TryOnJob
from tests.fixtures import make_image
from tests.reliability.figures import record
from tests.security.conftest import Browser
from tests.security.urls import Shop, actions, routes, staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(shopper_browser, garment, model_photo, settings) -> Shop:
    settings.TRYON = {**settings.TRYON, "RATE_LIMITS": {}}
    response = shopper_browser.upload(garment, make_image((640, 800)))
    assert response.status_code == 201
    return Shop(garment, model_photo, TryOnJob.objects.get(token=response.json()["token"]))


def logged_in(user: Any) -> Browser:
    client = Browser()
    client.force_login(user)
    return client


def leaks(response: Any, shop: Shop) -> list[str]:
    """Data of the shop that a refused page shows anyway."""
    body = response.content
    secrets = [shop.shopper_job.token, shop.job.token, shop.garment.image.name]
    found = [s for s in secrets if s and s.encode() in body]
    if body.startswith((b"\x89PNG", b"\xff\xd8\xff", b"RIFF")):
        found.append("image bytes")
    return found


def admin_routes() -> list[Any]:
    return [route for route in routes() if route.is_admin]


def test_anonymous_visitors_get_the_login_page_and_nothing_else(shop):
    anonymous = Browser()
    probes = 0
    for route in admin_routes():
        url = shop.url(route)
        for method in ("get", "post"):
            before = shop.state()
            response = getattr(anonymous, method)(url, {"action": "delete_selected"})
            assert response.status_code == 302, (method, url, response.status_code)
            assert response["Location"].startswith("/admin/login/"), (method, url)
            assert not leaks(response, shop) and shop.state() == before
            probes += 1
    record("security_probes", admin_access=probes)


def test_staff_without_permissions_get_403_everywhere(shop):
    nobody = logged_in(staff("intern"))
    probes = 0
    for route in admin_routes():
        url = shop.url(route)
        for method in ("get", "post"):
            before = shop.state()
            response = getattr(nobody, method)(url, {"action": "delete_selected"})
            # 405: a POST-only view refuses the method before it looks at the user.
            assert response.status_code in (403, 405), (method, url, response.status_code)
            assert not leaks(response, shop) and shop.state() == before, (method, url)
            probes += 1
    record("security_probes", admin_access=probes)


@pytest.mark.parametrize(
    "perms",
    [
        (),
        ("django_tryon.view_tryonjob",),
        ("django_tryon.view_tryonjob", "django_tryon.view_garment", "catalog.view_product"),
        ("catalog.view_product", "catalog.change_product"),
    ],
    ids=["no permission", "view try-ons", "view everything", "edit products"],
)
def test_no_action_runs_without_its_permission(shop, perms):
    client = logged_in(staff("clerk", *perms))
    probes = 0
    for model, action in actions():
        if action == "delete_selected":
            continue  # Django's own, with Django's own delete permission check
        meta = model._meta
        before, jobs_before = shop.state(), TryOnJob.objects.count()
        response = client.post(
            f"/admin/{meta.app_label}/{meta.model_name}/",
            {
                "action": action,
                "_selected_action": [shop.object_for_model(model).pk],
                "post": "yes",
            },
        )
        # Refused outright, or the changelist again without the action having run.
        assert response.status_code in (200, 302, 403), (action, response.status_code)
        assert shop.state() == before and TryOnJob.objects.count() == jobs_before, (perms, action)
        probes += 1
    record("security_probes", admin_actions=probes)


def test_viewers_cant_resume_a_provider_or_see_shoppers_photos(shop):
    viewer = logged_in(staff("viewer", "django_tryon.view_tryonjob"))
    before = shop.state()
    refused = viewer.post("/admin/django_tryon/tryonjob/overview/resume/", {"alias": "sandbox"})
    assert refused.status_code == 403 and shop.state() == before
    photo = viewer.get(f"/admin/django_tryon/tryonjob/{shop.shopper_job.pk}/preview/person_image/")
    assert photo.status_code in (403, 404) and not leaks(photo, shop)
    change = viewer.get(f"/admin/django_tryon/tryonjob/{shop.shopper_job.pk}/change/")
    assert change.status_code == 200
    assert shop.shopper_job.person_file.name.encode() not in change.content
    record("security_probes", admin_access=3)


def test_a_get_never_changes_anything_even_for_a_superuser(shop):
    """State changes need POST (and its CSRF token): a link or an <img> can't make them."""
    root = logged_in(staff("root", superuser=True))
    probes = 0
    for route in admin_routes():
        url = shop.url(route)
        for query in ("", "?alias=sandbox", "?action=delete_selected&_selected_action=1&post=yes"):
            before = shop.state()
            root.get(url + query)
            assert shop.state() == before, url + query
            probes += 1
    record("security_probes", admin_get=probes)
