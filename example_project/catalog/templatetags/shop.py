from typing import Any

from django import template

from ..bag import Bag

register = template.Library()


@register.simple_tag(takes_context=True)
def bag_count(context: template.Context) -> int:
    """How many items the shopper's bag holds (for the header)."""
    request: Any = context.get("request")
    return Bag(request.session).count() if request is not None else 0
