import logging

from django.dispatch import receiver

from django_tryon import signals

logger = logging.getLogger("shop.tryon")


@receiver(signals.tryon_add_to_cart)
def note_add_to_cart(sender, job, product, request, **kwargs):
    # The shopper added `product` to their cart from the result of `job`.
    logger.info("added %s to the cart after try-on %s", product, job.token)


@receiver(signals.order_recorded)
def note_order(sender, order, request, **kwargs):
    logger.info("order %s recorded: %s", order.reference, order.total)
