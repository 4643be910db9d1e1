"""The merchant's try-on workflow in the Django admin.

Registers ``GarmentAdmin``, ``ModelPhotoAdmin`` and ``TryOnJobAdmin`` (with the batch and
overview pages under it) on the default admin site. The shop adds try-on to its own
product admin with ``add_tryon_to_admin(Product)`` or ``TryOnProductAdminMixin``.
"""

from .conversions import ConversionReportAdmin
from .garments import GarmentAdmin, GarmentInline
from .generate import generate_tryons
from .jobs import TryOnJobAdmin
from .model_photos import ModelPhotoAdmin
from .overview_entry import TryOnOverviewAdmin
from .products import TryOnProductAdminMixin, add_tryon_to_admin

__all__ = [
    "ConversionReportAdmin",
    "GarmentAdmin",
    "GarmentInline",
    "ModelPhotoAdmin",
    "TryOnJobAdmin",
    "TryOnOverviewAdmin",
    "TryOnProductAdminMixin",
    "add_tryon_to_admin",
    "generate_tryons",
]
