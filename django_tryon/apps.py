from django.apps import AppConfig
from django.db.models.signals import post_migrate, post_save
from django.utils.translation import gettext_lazy as _


class TryOnConfig(AppConfig):
    name = "django_tryon"
    label = "django_tryon"
    verbose_name = _("Try-on")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks, receivers  # noqa: F401  (registers the checks and receivers)
        from .cascades import watch_adapter_models, watch_garment_product
        from .models import Garment
        from .pipeline import create_leases
        from .schedules import register_schedules

        post_migrate.connect(register_schedules, sender=self)
        post_migrate.connect(create_leases, sender=self)
        # A deleted product takes its garments along (see cascades).
        post_save.connect(watch_garment_product, sender=Garment, dispatch_uid="tryon-watch")
        watch_adapter_models()
