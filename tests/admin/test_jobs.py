"""The job admin: changelist, read-only job page, private photos, and the actions on jobs."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages
from django.core.files.storage import storages
from django.utils import timezone

from django_tryon.models import Garment, ProviderState, Source, Status, TryOnJob
from django_tryon.services import generate, request_tryon
from django_tryon.services.jobs import _request_tryon  # shopper plumbing: source, owner
from tests.fixtures import make_image

from .support import add_photo, add_product, pause, queries

JOBS = "/admin/django_tryon/tryonjob/"


def job_url(job):
    return f"{JOBS}{job.pk}/change/"


def act(client, action, jobs, follow=False, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [j.pk for j in jobs], "index": 0, **extra}
    return client.post(JOBS, data, follow=follow)


def messages_of(response):
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


@pytest.fixture
def finished(shop, drive):
    """Four succeeded merchant jobs (two shirts on Alex and Sam), in batch order."""
    garments = list(Garment.objects.filter(category="upper_body").order_by("pk"))
    generate(garments, [shop["alex"], shop["sam"]], "sandbox")
    assert drive() == 0
    return list(TryOnJob.objects.order_by("pk"))


@pytest.fixture
def failed(shop, drive):
    garment = Garment.objects.filter(category="upper_body").first()
    garment.description = "[sandbox:no_person]"
    garment.save()
    job = request_tryon(garment, shop["alex"], provider="sandbox", reuse=False)
    drive()
    job.refresh_from_db()
    assert job.status == Status.FAILED
    return job


@pytest.fixture
def shopper_job(shop, drive):
    garment = Garment.objects.filter(category="upper_body").first()
    job = _request_tryon(
        garment, make_image(), provider="sandbox", source=Source.SHOPPER, check_quality=False
    )
    drive()
    job.refresh_from_db()
    return job


# The changelist ------------------------------------------------------------------------------


def test_changelist_shows_thumbnails_badges_and_products(admin_client, finished):
    response = admin_client.get(JOBS)
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="tryon-badge tryon-badge--succeeded"' in content
    assert f"{JOBS}{finished[0].pk}/preview/result/?size=thumb" in content
    assert f"{JOBS}{finished[0].pk}/preview/person/?size=thumb" in content
    assert "Oxford Shirt" in content  # the garment's product, through the generic relation


def test_changelist_query_count_does_not_grow(admin_client, shop, drive):
    garments = list(Garment.objects.filter(category="upper_body"))

    def render():
        assert admin_client.get(JOBS).status_code == 200

    generate(garments[:1], [shop["alex"]], "sandbox")
    small = queries(render)
    more = [add_product(f"Shirt {i}", colour=i) for i in range(6)]
    photos = [shop["alex"], shop["sam"], add_photo("Kim", colour=5)]
    generate([g for p in more for g in Garment.objects.for_product(p)], photos, "sandbox")
    drive()
    assert TryOnJob.objects.count() > 15
    assert queries(render) == small


@pytest.mark.parametrize(
    "query",
    [
        "status__exact=succeeded",
        "provider=sandbox",
        "source__exact=admin",
        "category__exact=upper_body",
        "created_at__gte=2000-01-01T00:00:00%2B00:00",
        "q=Oxford",
        "batch=1",
        "product=1-1",
        "garment=1",
        "model_photo=1",
    ],
)
def test_filters_and_search(admin_client, finished, query):
    assert admin_client.get(f"{JOBS}?{query}").status_code == 200


def test_product_filter_narrows_and_names_the_product(admin_client, finished):
    from django.contrib.contenttypes.models import ContentType

    shirt = finished[0].garment.product
    value = f"{ContentType.objects.get_for_model(shirt).pk}-{shirt.pk}"
    response = admin_client.get(f"{JOBS}?product={value}")
    assert response.context["cl"].result_count == 2
    assert "Oxford Shirt" in response.content.decode()


def test_no_add_button_and_a_link_to_the_overview(admin_client, finished):
    content = admin_client.get(JOBS).content.decode()
    assert "/admin/django_tryon/tryonjob/add/" not in content
    assert "/admin/django_tryon/tryonjob/overview/" in content
    assert admin_client.get(f"{JOBS}add/").status_code == 403


def test_a_paused_alias_is_announced_on_the_changelist(admin_client, finished):
    pause("premium", "The try-on account has run out of credits.")
    content = admin_client.get(JOBS).content.decode()
    assert "The provider premium is paused: The try-on account has run out of credits." in content


# The job page -------------------------------------------------------------------------------


def test_job_page_is_read_only_with_images_side_by_side(admin_client, finished):
    job = finished[0]
    response = admin_client.get(job_url(job))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'class="tryon-compare"' in content
    for field in ("person", "garment", "result"):
        assert f"{JOBS}{job.pk}/preview/{field}/?size=thumb" in content
    assert 'name="_save"' not in content  # nothing to edit
    assert "Credits and timing" in content and "Failover history" in content
    assert admin_client.post(job_url(job), {"status": "failed"}).status_code == 403


def test_failed_job_shows_the_plain_error_and_the_raw_code(admin_client, failed):
    content = admin_client.get(job_url(failed)).content.decode()
    assert "find a person in this photo" in content  # our plain words (HTML-escaped quote aside)
    assert "no_source_face" in content  # the provider's own code, for their support
    assert "<code>no_person</code>" in content
    assert 'value="retry_failed"' in content  # a Retry button


def test_fallback_history_is_listed(admin_client, finished):
    job = finished[0]
    TryOnJob.objects.filter(pk=job.pk).update(
        provider_history=[
            {
                "alias": "premium",
                "provider_job_id": "abc",
                "code": "auth_failed",
                "at": "2026-01-01T00:00:00",
            }
        ]
    )
    content = admin_client.get(job_url(job)).content.decode()
    assert "<code>auth_failed</code>" in content and "premium" in content


def test_job_page_query_count_is_small(admin_client, finished):
    assert queries(lambda: admin_client.get(job_url(finished[0]))) <= 14


# Images -----------------------------------------------------------------------------------


def test_previews_stream_images_and_thumbnails(admin_client, finished):
    job = finished[0]
    full = admin_client.get(f"{JOBS}{job.pk}/preview/result/")
    assert full.status_code == 200
    assert full["Content-Type"] in ("image/jpeg", "image/png")
    assert full["X-Content-Type-Options"] == "nosniff"
    body = b"".join(full.streaming_content)
    with storages["tryon_private"].open(job.result.name) as handle:
        assert body == handle.read()
    thumb = admin_client.get(f"{JOBS}{job.pk}/preview/result/?size=thumb")
    assert thumb.status_code == 200 and len(thumb.content) < len(body)
    assert admin_client.get(f"{JOBS}{job.pk}/preview/token/").status_code == 404
    assert admin_client.get(f"{JOBS}{job.pk}/preview/mask/").status_code == 404  # none stored


def test_shopper_photos_need_their_permission(staff_client, shopper_job):
    plain = staff_client("django_tryon.view_tryonjob")
    content = plain.get(JOBS).content.decode()
    assert "Private" in content
    assert f"{shopper_job.pk}/preview/person/" not in content
    assert f"{shopper_job.pk}/preview/result/" not in content
    assert plain.get(f"{JOBS}{shopper_job.pk}/preview/person/").status_code == 404
    assert plain.get(f"{JOBS}{shopper_job.pk}/preview/result/?size=thumb").status_code == 404
    page = plain.get(job_url(shopper_job)).content.decode()
    assert f"{shopper_job.pk}/preview/person/" not in page
    # The garment is the merchant's: shown to anyone who may see jobs.
    assert plain.get(f"{JOBS}{shopper_job.pk}/preview/garment/").status_code == 200

    allowed = staff_client("django_tryon.view_tryonjob", "django_tryon.view_shopper_photos")
    assert f"{shopper_job.pk}/preview/person/" in allowed.get(JOBS).content.decode()
    assert allowed.get(f"{JOBS}{shopper_job.pk}/preview/person/").status_code == 200
    assert allowed.get(f"{JOBS}{shopper_job.pk}/preview/result/?size=thumb").status_code == 200


def test_staff_without_view_permission_gets_nothing(staff_client, finished):
    client = staff_client("catalog.view_product")
    assert client.get(JOBS).status_code == 403
    assert client.get(job_url(finished[0])).status_code == 403
    assert client.get(f"{JOBS}{finished[0].pk}/preview/result/").status_code == 403


# Actions ------------------------------------------------------------------------------------


def test_retry_failed_makes_a_new_attempt_and_keeps_the_history(admin_client, failed):
    response = act(admin_client, "retry_failed", [failed], follow=True)
    retry = TryOnJob.objects.exclude(pk=failed.pk).get()
    assert retry.retry_of == failed and retry.status == Status.PENDING
    assert TryOnJob.objects.get(pk=failed.pk).status == Status.FAILED  # kept as history
    assert "Started 1 new attempt" in messages_of(response)
    # A retried job is not retried twice.
    response = act(admin_client, "retry_failed", [failed], follow=True)
    assert TryOnJob.objects.count() == 2
    assert "left alone" in messages_of(response)


def test_retry_from_the_job_page_lands_on_the_new_attempt(admin_client, failed):
    response = act(admin_client, "retry_failed", [failed], _tryon_return="object")
    retry = TryOnJob.objects.get(retry_of=failed)
    assert response["Location"] == job_url(retry)


def test_retry_refuses_succeeded_jobs(admin_client, finished):
    response = act(admin_client, "retry_failed", finished[:1], follow=True)
    assert TryOnJob.objects.count() == 4
    assert "left alone" in messages_of(response)


def test_cancel_running(admin_client, shop):
    garment = Garment.objects.filter(category="upper_body").first()
    job = request_tryon(garment, shop["alex"], provider="sandbox")
    response = act(admin_client, "cancel_running", [job], follow=True)
    job.refresh_from_db()
    assert job.status == Status.CANCELED
    assert "Canceled 1 try-on" in messages_of(response)
    response = act(admin_client, "cancel_running", [job], follow=True)
    assert "None of the selected try-ons was pending or running." in messages_of(response)


def test_feature_appends_in_order_and_unfeature(admin_client, finished):
    first, second, third, _ = finished
    act(admin_client, "feature", [first, second])
    act(admin_client, "feature", [third])
    state = {j.pk: (j.is_featured, j.featured_order) for j in TryOnJob.objects.all()}
    # first and second are one product's (Oxford shirt on Alex, Sam); third is the next product's.
    assert state[first.pk] == (True, 1) and state[second.pk] == (True, 2)
    assert state[third.pk] == (True, 1)
    act(admin_client, "unfeature", [first])
    assert TryOnJob.objects.get(pk=first.pk).is_featured is False


def test_feature_at_a_position_moves_the_others_down(admin_client, finished):
    first, second = finished[:2]
    act(admin_client, "feature", [first])
    act(admin_client, "feature", [second], position="1")
    assert TryOnJob.objects.get(pk=second.pk).featured_order == 1
    assert TryOnJob.objects.get(pk=first.pk).featured_order == 2


def test_feature_refuses_failed_and_shopper_jobs(admin_client, failed, shopper_job):
    response = act(admin_client, "feature", [failed, shopper_job], follow=True)
    assert not TryOnJob.objects.filter(is_featured=True).exists()
    assert "2 try-ons can't be featured" in messages_of(response)


def test_feature_refuses_a_bad_position(admin_client, finished):
    response = act(admin_client, "feature", finished[:1], position="zero", follow=True)
    assert "The position must be a whole number" in messages_of(response)
    assert not TryOnJob.objects.filter(is_featured=True).exists()


def test_delete_removes_the_stored_files(admin_client, finished):
    job = finished[0]
    names = [job.result.name]
    response = admin_client.post(
        JOBS, {"action": "delete_selected", ACTION_CHECKBOX_NAME: [job.pk], "post": "yes"}
    )
    assert response.status_code == 302
    assert not TryOnJob.objects.filter(pk=job.pk).exists()
    assert not storages["tryon_private"].exists(names[0])
    # The single-object delete view too.
    other = finished[1]
    admin_client.post(f"{JOBS}{other.pk}/delete/", {"post": "yes"})
    assert not storages["tryon_private"].exists(other.result.name)


def test_resume_a_paused_provider(admin_client, shop):
    pause("sandbox")
    garment = Garment.objects.filter(category="upper_body").first()
    job = request_tryon(garment, shop["alex"], provider="sandbox")
    response = act(admin_client, "resume_paused_provider", [job], follow=True)
    assert "sandbox takes jobs again" in messages_of(response)
    assert not ProviderState.objects.filter(paused_at__isnull=False).exists()


def test_job_page_buttons_follow_the_state(admin_client, finished, failed):
    content = admin_client.get(job_url(finished[0])).content.decode()
    assert 'value="feature"' in content and 'value="retry_failed"' not in content
    TryOnJob.objects.filter(pk=finished[0].pk).update(is_featured=True, featured_order=1)
    content = admin_client.get(job_url(finished[0])).content.decode()
    assert 'value="unfeature"' in content and 'value="feature"' not in content


# Permissions on actions ------------------------------------------------------------------------


def test_viewers_get_no_actions(staff_client, finished, failed):
    client = staff_client("django_tryon.view_tryonjob")
    content = client.get(JOBS).content.decode()
    for action in (
        "retry_failed",
        "cancel_running",
        "feature",
        "unfeature",
        "resume_paused_provider",
        "delete_selected",
    ):
        assert f'value="{action}"' not in content
    page = client.get(job_url(failed)).content.decode()
    assert 'value="retry_failed"' not in page
    act(client, "retry_failed", [failed])
    act(client, "feature", finished[:1])
    assert TryOnJob.objects.count() == 5
    assert not TryOnJob.objects.filter(is_featured=True).exists()


def test_each_action_needs_its_permission(staff_client, finished, failed):
    changer = staff_client("django_tryon.view_tryonjob", "django_tryon.change_tryonjob")
    content = changer.get(JOBS).content.decode()
    assert 'value="feature"' in content and 'value="cancel_running"' in content
    assert 'value="retry_failed"' not in content  # spends credits: needs "generate"
    assert 'value="resume_paused_provider"' not in content
    generator = staff_client("django_tryon.view_tryonjob", "django_tryon.generate_tryonjob")
    act(generator, "retry_failed", [failed])
    assert TryOnJob.objects.filter(retry_of=failed).exists()


def test_actions_run_on_a_filtered_selection_across_pages(admin_client, finished):
    response = act(admin_client, "feature", finished[:1], select_across="1")
    assert response.status_code == 302
    assert TryOnJob.objects.filter(is_featured=True).count() == 4


def test_overdue_time_display(admin_client, finished):
    job = finished[0]
    TryOnJob.objects.filter(pk=job.pk).update(
        submitted_at=job.created_at + timezone.timedelta(seconds=90)
    )
    assert "1 min 30 s" in admin_client.get(job_url(job)).content.decode()
