"""Magic Hour's official SDK (``magic-hour``) against our shipped emulator, over real HTTP.

The SDK's documented flow: upload (``files.upload_file``), create
(``ai_clothes_changer.generate`` and the lower-level ``create``), poll
(``image_projects.get``/``check_result``), download, delete, and the account. Its response
models are strict pydantic models: any field the emulator leaves out fails here the way it
failed for the shop that reported issue 15.
"""

from __future__ import annotations

import io
from pathlib import Path

import httpx
import pydantic
import pytest
from magic_hour import Client
from make_api_request import ApiError
from PIL import Image

from django_tryon.testing.emulators import MagicHourEmulator
from tests.fixtures import make_image


@pytest.fixture
def emulator(magichour_emulator: MagicHourEmulator, monkeypatch) -> MagicHourEmulator:
    monkeypatch.setenv("MAGIC_HOUR_POLL_INTERVAL", "0.02")  # the SDK's own poll interval
    magichour_emulator.latency = 0.2
    return magichour_emulator


@pytest.fixture
def client(emulator: MagicHourEmulator) -> Client:
    return Client(token=emulator.api_key, base_url=emulator.base_url, timeout=10)


@pytest.fixture
def pictures(tmp_path: Path) -> tuple[Path, Path]:
    person, garment = tmp_path / "model.jpg", tmp_path / "outfit.png"
    person.write_bytes(make_image((320, 400), "JPEG"))
    garment.write_bytes(make_image((200, 200), "PNG", person=False))
    return person, garment


def test_generate_uploads_creates_polls_and_downloads(client, emulator, pictures, tmp_path):
    person, garment = pictures
    result = client.v1.ai_clothes_changer.generate(
        assets={
            "person_file_path": str(person),
            "garment_file_path": str(garment),
            "garment_type": "upper_body",
        },
        name="SDK look",
        download_directory=str(tmp_path),
    )
    assert result.status == "complete"
    assert result.credits_charged == result.total_frame_cost == 25
    assert result.name == "SDK look" and result.enabled
    [downloaded] = result.downloaded_paths
    with Image.open(downloaded) as picture:
        assert picture.format == "PNG"
    assert [r.route for r in emulator.requests][:5] == [
        "upload_urls",
        "upload",
        "upload_urls",
        "upload",
        "create",
    ]
    client.v1.image_projects.delete(id=result.id)
    assert emulator.projects[result.id].enabled is False
    assert emulator.violations == []


def test_the_lower_level_create_poll_and_delete(client, emulator, pictures):
    person, garment = pictures
    person_path = client.v1.files.upload_file(person)
    with garment.open("rb") as handle:
        garment_path = client.v1.files.upload_file(handle)
    assert person_path.startswith("api-assets/") and garment_path.endswith(".png")
    created = client.v1.ai_clothes_changer.create(
        assets={
            "person_file_path": person_path,
            "garment_file_path": garment_path,
            "garment_type": "entire_outfit",
        },
    )
    assert created.credits_charged == created.frame_cost == 25
    project = client.v1.image_projects.check_result(
        id=created.id, wait_for_completion=True, download_outputs=False
    )
    assert project.status == "complete" and project.downloads
    got = client.v1.image_projects.get(id=created.id)
    assert got.downloads[0].url.split("?")[0] == project.downloads[0].url.split("?")[0]
    assert got.error is None and got.type_ == "CLOTHES_CHANGER"
    client.v1.image_projects.delete(id=created.id)
    assert client.v1.image_projects.get(id=created.id).enabled is False


def test_the_deprecated_dresses_type_is_accepted(client, emulator, pictures):
    person, garment = pictures
    created = client.v1.ai_clothes_changer.create(
        assets={
            "person_file_path": client.v1.files.upload_file(person),
            "garment_file_path": client.v1.files.upload_file(garment),
            "garment_type": "dresses",
        },
    )
    assert emulator.projects[created.id].garment_type == "dresses"


def test_the_account_tells_credits_and_plan(client, emulator):
    emulator.credits, emulator.tier = 480, "pro"
    account = client.v1.account.list()
    assert (account.credits, account.tier) == (480, "pro")
    assert account.subscription is not None and account.subscription.status == "active"
    emulator.tier = "free"
    assert client.v1.account.list().subscription is None


# -- faults, as the SDK shows them -------------------------------------------------------------


def test_a_bad_key_is_an_api_error_401(emulator):
    client = Client(token="wrong", base_url=emulator.base_url, timeout=10)
    with pytest.raises(ApiError) as raised:
        client.v1.account.list()
    assert raised.value.status_code == 401


@pytest.mark.parametrize("status", [402, 429, 500])
def test_http_errors_on_create_are_api_errors_with_the_message(client, emulator, pictures, status):
    person, garment = pictures
    assets = {
        "person_file_path": client.v1.files.upload_file(person),
        "garment_file_path": client.v1.files.upload_file(garment),
    }
    emulator.inject("http_error", route="create", status=status, message="nope")
    with pytest.raises(ApiError) as raised:
        client.v1.ai_clothes_changer.create(assets=assets)
    assert raised.value.status_code == status
    assert raised.value.body == {"message": "nope"}
    assert emulator.projects == {}


def test_a_render_error_ends_the_project_in_error_refunded(client, emulator, pictures):
    person, garment = pictures
    emulator.inject("project_error", code="no_source_face", message="No face")
    result = client.v1.ai_clothes_changer.generate(
        assets={"person_file_path": str(person), "garment_file_path": str(garment)},
    )
    assert result.status == "error" and result.credits_charged == 0
    assert (result.error.code, result.error.message) == ("no_source_face", "No face")
    assert result.downloaded_paths is None or result.downloaded_paths == []


def test_an_expired_download_url_fails_the_sdk_download(client, emulator, pictures, tmp_path):
    person, garment = pictures
    emulator.inject("expired")
    with pytest.raises(httpx.HTTPStatusError) as raised:
        client.v1.ai_clothes_changer.generate(
            assets={"person_file_path": str(person), "garment_file_path": str(garment)},
            download_directory=str(tmp_path),
        )
    assert raised.value.response.status_code == 403


def test_a_project_without_total_frame_cost_fails_validation_as_reported(
    client, emulator, pictures
):
    """What issue 15 saw against the old emulator: the SDK requires the field."""
    person, garment = pictures
    created = client.v1.ai_clothes_changer.create(
        assets={
            "person_file_path": client.v1.files.upload_file(person),
            "garment_file_path": client.v1.files.upload_file(garment),
        },
    )
    emulator.inject("missing_fields", route="poll", fields=("total_frame_cost",))
    with pytest.raises(pydantic.ValidationError, match="total_frame_cost"):
        client.v1.image_projects.get(id=created.id)
    assert client.v1.image_projects.get(id=created.id).total_frame_cost == 25


def test_the_downloaded_bytes_are_the_emulators_picture(client, emulator, pictures):
    person, garment = pictures
    result = client.v1.ai_clothes_changer.generate(
        assets={"person_file_path": str(person), "garment_file_path": str(garment)},
        download_outputs=False,
    )
    data = httpx.get(result.downloads[0].url).content
    with Image.open(io.BytesIO(data)) as picture:
        assert picture.size == (320, 400)
