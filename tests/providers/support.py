"""Helpers shared by the provider, webhook and management tests (fixtures: ``fixtures.py``)."""

from __future__ import annotations

import hashlib
import hmac
import io
import time
from typing import Any

from PIL import Image

from django_tryon.providers import get_provider
from django_tryon.providers.base import ImageInput, TryOnRequest
from tests.fixtures import make_image

MH = "django_tryon.providers.magichour.MagicHourProvider"
CC = "django_tryon.providers.changeclothes.ChangeClothesProvider"
FA = "django_tryon.providers.fashn.FashnProvider"
SANDBOX = "django_tryon.providers.sandbox.SandboxProvider"
VERTEX = "django_tryon.providers.vertex.VertexProvider"
WEBHOOK_SECRET = "whsec-test-secret"


def mh_alias(emulator: Any, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": MH,
        "API_KEY": emulator.api_key,
        "BASE_URL": emulator.base_url,
        "ALLOW_PRIVATE_URLS": True,
        "FIRST_POLL_AFTER": 0,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        **options,
    }


def cc_alias(emulator: Any, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": CC,
        "API_KEY": emulator.api_key,
        "BASE_URL": emulator.base_url,
        "ALLOW_PRIVATE_URLS": True,
        "COST": 2,
        **options,
    }


def fa_alias(emulator: Any, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": FA,
        "API_KEY": emulator.api_key,
        "BASE_URL": emulator.base_url,
        "ALLOW_PRIVATE_URLS": True,
        "FIRST_POLL_AFTER": 0,
        **options,
    }


def vertex_alias(emulator: Any, **options: Any) -> dict[str, Any]:
    return {
        "BACKEND": VERTEX,
        "PROJECT": emulator.project,
        "REGION": "europe-west4",
        "ACCESS_TOKEN": emulator.access_token,
        "BASE_URL": emulator.base_url,
        "COST": 3,
        **options,
    }


def tryon(providers: dict[str, Any], default: str, **extra: Any) -> dict[str, Any]:
    """TRYON settings with fast polling and short backoff, so faults resolve in a test's time."""
    return {
        "DEFAULT_PROVIDER": default,
        "PROVIDERS": {"sandbox": {"BACKEND": SANDBOX, "LATENCY": 0}, **providers},
        "POLL_INTERVAL": 0.05,
        "BACKOFF_BASE": 0.01,
        "BACKOFF_MAX": 0.5,
        "MAX_TRANSIENT_ERRORS": 3,
        **extra,
    }


def set_alias_options(settings: Any, alias: str, **options: Any) -> None:
    """Change options of one alias (a new dict, so ``setting_changed`` drops cached providers)."""
    providers = {
        **settings.TRYON["PROVIDERS"],
        alias: {**settings.TRYON["PROVIDERS"][alias], **options},
    }
    settings.TRYON = {**settings.TRYON, "PROVIDERS": providers}


def image(fmt: str = "JPEG", *, person: bool = True, url: str = "") -> ImageInput:
    content = make_image((320, 400), fmt if fmt != "GIF" else "PNG", person=person)
    if fmt == "GIF":
        out = io.BytesIO()
        Image.open(io.BytesIO(content)).convert("P").save(out, "GIF")
        content = out.getvalue()
    return ImageInput(content=content, format=fmt, url=url)


def tryon_request(category: str = "upper_body", **kwargs: Any) -> TryOnRequest:
    fields: dict[str, Any] = {
        "person": image("JPEG"),
        "garment": image("PNG", person=False),
        "category": category,
        "name": "django-tryon test",
        **kwargs,
    }
    return TryOnRequest(**fields)


def provider(alias: str | None = None) -> Any:
    return get_provider(alias)


def is_image(data: bytes, fmt: str | None = None) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            picture.load()
            return fmt is None or picture.format == fmt
    except OSError:
        return False


def sign(body: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> dict[str, str]:
    """Headers Magic Hour sends: hex HMAC-SHA256 of ``{timestamp}.{body}``."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"magic-hour-event-signature": digest, "magic-hour-event-timestamp": stamp}


def routes(emulator: Any) -> list[str | None]:
    return [record.route for record in emulator.requests]


def service_account_key() -> dict[str, str]:
    """A service account key as Google issues them, with a fresh RSA key (it signs real JWTs)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return {
        "type": "service_account",
        "project_id": "tryon-test",
        "private_key_id": "k1",
        "private_key": pem,
        "client_email": "tryon@tryon-test.iam.gserviceaccount.com",
        "client_id": "1",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
