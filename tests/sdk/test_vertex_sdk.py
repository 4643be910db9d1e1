"""Google's official client (``google-genai``) against our Vertex emulator, over real HTTP.

``client.models.recontext_image(model="virtual-try-on-001", ...)`` is the client's
virtual try-on call. Pointed at the emulator with ``HttpOptions(base_url=...)`` and
credentials that never reach Google (a fixed token, or a service account whose token
endpoint is the emulator's), it must complete, and the emulator's faults must surface as
the client's own errors (``ClientError``/``ServerError`` with Google's ``status``), as the
real service's would.
"""

from __future__ import annotations

import io

import google.oauth2.credentials
import pytest
from google import genai
from google.genai import errors, types
from google.oauth2 import service_account
from PIL import Image

from django_tryon.testing.emulators import VertexEmulator
from django_tryon.testing.fixtures import vertex_emulator as emulator_fixture
from tests.fixtures import make_image
from tests.providers.support import service_account_key

MODEL = "virtual-try-on-001"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]


def client_for(emulator: VertexEmulator, credentials=None) -> genai.Client:
    credentials = credentials or google.oauth2.credentials.Credentials(token=emulator.access_token)
    return genai.Client(
        vertexai=True,
        project=emulator.project,
        location="us-central1",
        credentials=credentials,
        # No client-side retries: each fault must reach the test as the client's error.
        http_options=types.HttpOptions(
            base_url=emulator.base_url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )


# The shipped fixture, under this module's name for it (tests/sdk/ shares no conftest).
vertex_emulator = emulator_fixture


@pytest.fixture
def client(vertex_emulator: VertexEmulator) -> genai.Client:
    return client_for(vertex_emulator)


def source() -> types.RecontextImageSource:
    return types.RecontextImageSource(
        person_image=types.Image(
            image_bytes=make_image((320, 400), "JPEG"), mime_type="image/jpeg"
        ),
        product_images=[
            types.ProductImage(
                product_image=types.Image(
                    image_bytes=make_image((200, 200), "PNG", person=False), mime_type="image/png"
                )
            )
        ],
    )


def test_recontext_image_returns_the_try_on(client, vertex_emulator):
    response = client.models.recontext_image(model=MODEL, source=source())

    (generated,) = response.generated_images
    assert generated.image.mime_type == "image/png"
    assert Image.open(io.BytesIO(generated.image.image_bytes)).format == "PNG"
    sent = vertex_emulator.requests[-1]
    # The client's default API version; our provider calls v1. The emulator takes both.
    assert sent.path == (
        f"/v1beta1/projects/{vertex_emulator.project}/locations/us-central1"
        f"/publishers/google/models/{MODEL}:predict"
    )
    assert sent.headers["Authorization"] == f"Bearer {vertex_emulator.access_token}"


def test_every_documented_config_field_is_accepted(client, vertex_emulator):
    config = types.RecontextImageConfig(
        number_of_images=2,
        base_steps=16,
        seed=7,
        add_watermark=False,
        safety_filter_level=types.SafetyFilterLevel.BLOCK_ONLY_HIGH,
        person_generation=types.PersonGeneration.ALLOW_ADULT,
        output_mime_type="image/jpeg",
        output_compression_quality=80,
    )
    response = client.models.recontext_image(model=MODEL, source=source(), config=config)

    assert len(response.generated_images) == 2
    assert all(g.image.mime_type == "image/jpeg" for g in response.generated_images)
    parameters = vertex_emulator.requests[-1].json()["parameters"]
    assert parameters["safetySetting"] == "BLOCK_ONLY_HIGH"  # upper case, as the client sends
    assert parameters["outputOptions"] == {"mimeType": "image/jpeg", "compressionQuality": 80}


def test_a_service_account_gets_its_token_from_the_emulator(vertex_emulator, sa_key):
    credentials = service_account.Credentials.from_service_account_info(
        sa_key, scopes=SCOPES
    ).with_token_uri(vertex_emulator.token_uri)
    client = client_for(vertex_emulator, credentials)

    client.models.recontext_image(model=MODEL, source=source())
    client.models.recontext_image(model=MODEL, source=source())

    assert vertex_emulator.token_grants == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]
    assert [r.route for r in vertex_emulator.requests] == ["token", "create", "create"]


@pytest.mark.parametrize(
    ("status", "error", "name"),
    [
        (429, errors.ClientError, "RESOURCE_EXHAUSTED"),
        (400, errors.ClientError, "INVALID_ARGUMENT"),
        (401, errors.ClientError, "UNAUTHENTICATED"),
        (403, errors.ClientError, "PERMISSION_DENIED"),
        (500, errors.ServerError, "INTERNAL"),
        (503, errors.ServerError, "UNAVAILABLE"),
    ],
)
def test_faults_surface_as_the_clients_errors(client, vertex_emulator, status, error, name):
    vertex_emulator.inject("http_error", route="create", status=status)
    with pytest.raises(error) as caught:
        client.models.recontext_image(model=MODEL, source=source())
    assert (caught.value.code, caught.value.status) == (status, name)


def test_quota_exhaustion_reads_as_googles(client, vertex_emulator):
    vertex_emulator.inject("http_error", route="create", status=429)
    with pytest.raises(errors.ClientError) as caught:
        client.models.recontext_image(model=MODEL, source=source())
    assert "Quota exceeded" in caught.value.message


def test_safety_filtered_samples_come_back_with_their_reason(client, vertex_emulator):
    vertex_emulator.inject("rai_filtered")
    response = client.models.recontext_image(
        model=MODEL, source=source(), config=types.RecontextImageConfig(number_of_images=2)
    )
    assert [g.image.image_bytes for g in response.generated_images] == [None, None]
    assert all("safety filter" in g.rai_filtered_reason for g in response.generated_images)


def test_an_empty_prediction_list_is_an_empty_response(client, vertex_emulator):
    vertex_emulator.inject("no_predictions")
    response = client.models.recontext_image(model=MODEL, source=source())
    assert response.generated_images == []


def test_a_wrong_project_is_permission_denied(client, vertex_emulator):
    vertex_emulator.project = "another-project"  # the client asks for tryon-test
    with pytest.raises(errors.ClientError) as caught:
        client.models.recontext_image(model=MODEL, source=source())
    assert caught.value.status == "PERMISSION_DENIED"


def test_a_request_google_would_refuse_is_refused_and_recorded(client, vertex_emulator):
    with pytest.raises(errors.ClientError) as caught:
        client.models.recontext_image(
            model=MODEL, source=source(), config=types.RecontextImageConfig(seed=3)
        )  # a seed with the watermark on
    assert caught.value.status == "INVALID_ARGUMENT"
    assert vertex_emulator.violations == [
        f"POST {vertex_emulator.requests[-1].path}: seed is not supported when addWatermark is true"
    ]
    vertex_emulator.violations.clear()


@pytest.fixture
def sa_key():
    return service_account_key()
