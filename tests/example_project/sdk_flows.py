"""Each provider's official SDK, through its documented flow, against a running emulator.

The example shop's end-to-end tests call ``sdk_flow(provider)`` on the very emulator the
shop's ``qcluster`` just used, so "the shop works on it" and "the official SDK works on it"
are checked on one emulator instance. Change Clothes AI publishes no SDK: it has no entry.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image

from tests.fixtures import make_image

PERSON = make_image((320, 400), "JPEG")
GARMENT = make_image((200, 200), "PNG", person=False)


def _is_picture(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as picture:
        picture.load()
        return picture.format in ("PNG", "JPEG")


def magichour(emulator: Any, folder: Path) -> None:
    """Upload both pictures, create, poll, download (``generate``), then delete."""
    from magic_hour import Client

    person, garment = folder / "sdk-model.jpg", folder / "sdk-outfit.png"
    person.write_bytes(PERSON)
    garment.write_bytes(GARMENT)
    client = Client(token=emulator.api_key, base_url=emulator.base_url, timeout=10)
    result = client.v1.ai_clothes_changer.generate(
        assets={
            "person_file_path": str(person),
            "garment_file_path": str(garment),
            "garment_type": "upper_body",
        },
        name="SDK look",
        download_directory=str(folder),
    )
    assert result.status == "complete" and result.total_frame_cost == 25
    [downloaded] = result.downloaded_paths
    assert _is_picture(Path(downloaded).read_bytes())
    client.v1.image_projects.delete(id=result.id)
    assert client.v1.account.list().credits >= 0  # the account the shop's check reads


def fashn(emulator: Any, folder: Path) -> None:
    """``predictions.subscribe`` (run, then status until the end), download the output."""
    import fashn as sdk
    import httpx

    def uri(data: bytes, mime: str) -> str:
        return f"data:{mime};base64,{base64.b64encode(data).decode()}"

    client = sdk.Fashn(api_key=emulator.api_key, base_url=emulator.base_url, timeout=10)
    result = client.predictions.subscribe(
        model_name="tryon-v1.6",
        inputs={
            "model_image": uri(PERSON, "image/jpeg"),
            "garment_image": uri(GARMENT, "image/png"),
            "category": "tops",
        },
        poll_interval=50,  # milliseconds
    )
    assert result.status == "completed" and result.output
    assert _is_picture(httpx.get(result.output[0], timeout=10).content)


def vertex(emulator: Any, folder: Path) -> None:
    """``client.models.recontext_image`` (one ``predict`` call, the picture inline)."""
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    client = genai.Client(
        vertexai=True,
        project=emulator.project,
        location="us-central1",
        credentials=google.oauth2.credentials.Credentials(token=emulator.access_token),
        http_options=types.HttpOptions(base_url=emulator.base_url),
    )
    response = client.models.recontext_image(
        model="virtual-try-on-001",
        source=types.RecontextImageSource(
            person_image=types.Image(image_bytes=PERSON, mime_type="image/jpeg"),
            product_images=[
                types.ProductImage(
                    product_image=types.Image(image_bytes=GARMENT, mime_type="image/png")
                )
            ],
        ),
    )
    (generated,) = response.generated_images or []
    assert generated.image is not None and _is_picture(generated.image.image_bytes or b"")


SDK_FLOWS: dict[str, Callable[[Any, Path], None]] = {
    "magichour": magichour,
    "fashn": fashn,
    "vertex": vertex,
}
