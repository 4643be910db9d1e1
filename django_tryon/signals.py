"""Signals a shop can hook into. Each is sent with ``sender=TryOnJob``."""

from django.dispatch import Signal

#: A job was accepted by its provider. Arguments: ``job``.
job_submitted = Signal()
#: A job's result is stored. Arguments: ``job``.
job_succeeded = Signal()
#: A job failed for good. Arguments: ``job``, ``error_code``, ``message``.
job_failed = Signal()
#: A job was canceled. Arguments: ``job``.
job_canceled = Signal()
#: A job moved to its alias's fallback. Arguments: ``job``, ``from_alias``, ``to_alias``, ``error_code``.
job_failed_over = Signal()
#: An alias stopped taking jobs after an account error. Arguments: ``alias``, ``code``, ``reason``.
provider_paused = Signal()
#: A paused alias takes jobs again. Arguments: ``alias``.
provider_resumed = Signal()

# Shopper widget (sent by ``django_tryon.services.shopper``, ``sender=TryOnJob``).
# The widget's DOM events tryon:submit / tryon:download / tryon:error have these server-side
# counterparts; tryon:success matches ``job_succeeded`` with ``job.source == "shopper"``.

#: A shopper's try-on was accepted. Arguments: ``job``, ``request``.
shopper_job_requested = Signal()
#: A shopper's upload was refused before anything was stored or spent.
#: Arguments: ``request``, ``code``, ``message``.
shopper_request_refused = Signal()
#: A shopper fetched their result as a download. Arguments: ``job``, ``request``.
shopper_result_downloaded = Signal()
#: A shopper deleted their photo and result ("Delete my photo now"). Arguments: ``job``, ``request``
#: (``job`` is no longer in the database; its ``pk`` is None).
shopper_job_deleted = Signal()

# Conversion report (sent by ``django_tryon.services.conversions``, ``sender=TryOnJob``).

#: A shopper added a product to their cart from a try-on result (the widget's
#: ``add_to_cart`` event naming their job). Arguments: ``job``, ``product``, ``request``.
tryon_add_to_cart = Signal()
#: ``record_order`` stored an order. Arguments: ``order`` (a ``RecordedOrder``), ``request``
#: (None when the order was placed outside a request).
order_recorded = Signal()
