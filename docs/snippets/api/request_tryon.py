from django.core.exceptions import ValidationError

from django_tryon.models import Garment, ModelPhoto
from django_tryon.services import request_tryon


def try_on_model(garment: Garment, model: ModelPhoto):
    """One of the merchant's model photos wearing a garment."""
    return request_tryon(garment, model)  # queued: job.status == "pending"


def try_on_upload(garment: Garment, photo_bytes: bytes):
    """A person's photo from your own form or API: bytes or a file object."""
    try:
        job = request_tryon(garment, photo_bytes, provider="sandbox")
    except ValidationError as error:
        # Refused before anything was stored or spent, e.g. error.code == "not_an_image".
        return None, error.messages[0]
    return job, ""
