from django_tryon.models import Garment, ModelPhoto
from django_tryon.services import outfit_credits, request_outfit
from django_tryon.providers import get_provider


def outfit_on_model(top: Garment, trousers: Garment, model: ModelPhoto):
    """A top and trousers worn together: one job, one picture."""
    return request_outfit([top, trousers], model, provider="sandbox")


def outfit_cost(alias: str, garments: int) -> int:
    """What an outfit costs at an alias: one call, or the sum of the chained calls."""
    return outfit_credits(get_provider(alias), garments)
