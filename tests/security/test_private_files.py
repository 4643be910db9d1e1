"""Shoppers' photos and results are private by default: no URL serves them unsigned.

The README's setup keeps the merchant's pictures in ``default`` under ``MEDIA_ROOT``, which
a web server publishes at ``MEDIA_URL`` (here: a URL pattern serving ``MEDIA_ROOT``, as
``static()`` or nginx would). Job files go elsewhere, whatever the shop configured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from django.conf import settings as django_settings
from django.urls import include, path, re_path
from django.views.static import serve

from django_tryon.models import TryOnJob
from django_tryon.storage import PrivateFileSystemStorage, private_storage

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


def serve_media(request: Any, name: str) -> Any:
    """What the shop's web server does: publish MEDIA_ROOT at MEDIA_URL."""
    return serve(request, name, document_root=django_settings.MEDIA_ROOT)


urlpatterns = [
    re_path(r"^media/(?P<name>.*)$", serve_media),
    path("", include("tests.urls")),
]


@pytest.fixture
def readme_setup(settings: Any, tmp_path: Path) -> Path:
    """STORAGES as the README had it: "default" on disk under MEDIA_ROOT, nothing else."""
    media = tmp_path / "media"
    settings.MEDIA_ROOT = str(media)
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": settings.STORAGES["staticfiles"],
    }
    return media


def finished_job(shopper_browser: Any, garment: Any, drive: Any) -> tuple[dict[str, Any], TryOnJob]:
    from tests.fixtures import make_image

    created = shopper_browser.upload(garment, make_image())
    assert created.status_code == 201, created.content
    drive()
    body = shopper_browser.get(created.json()["url"]).json()
    assert body["status"] == "succeeded", body
    return body, TryOnJob.objects.get(token=body["token"])


def test_with_the_readme_setup_no_media_url_serves_a_shoppers_files(
    readme_setup, shopper_browser, client, garment, drive
):
    assert client.get(f"/media/{garment.image.name}").status_code == 200  # merchant's: public
    body, job = finished_job(shopper_browser, garment, drive)
    for name in (job.person_file.name, job.result.name):
        assert client.get(f"/media/{name}").status_code == 404
        assert not (readme_setup / name).exists()
        assert (readme_setup.parent / "tryon-private" / name).is_file()  # next to MEDIA_ROOT
    assert isinstance(private_storage(), PrivateFileSystemStorage)
    # Its owner still gets the result, streamed by the app.
    assert shopper_browser.get(body["result_url"]).status_code == 200


@pytest.mark.s3
def test_on_s3_a_shoppers_files_are_private_objects(s3_storage, shopper_browser, garment, drive):
    body, job = finished_job(shopper_browser, garment, drive)
    storage = private_storage()
    assert storage.location == "private"  # tests/s3.py: its own prefix in the private bucket
    for name in (job.person_file.name, job.result.name):
        signed = storage.url(name)
        assert "X-Amz-Signature=" in signed
        assert requests.get(signed, timeout=10).status_code == 200
        assert requests.get(signed.split("?")[0], timeout=10).status_code == 403  # unsigned
    assert shopper_browser.get(body["result_url"]).status_code == 302  # a signed redirect
