import logging

from django.core.mail import mail_admins
from django.dispatch import receiver

from django_tryon import signals

logger = logging.getLogger("shop.tryon")


@receiver(signals.job_succeeded)
def log_success(sender, job, **kwargs):
    logger.info("try-on %s done by %s for %s credits", job.pk, job.provider, job.credits_charged)


@receiver(signals.job_failed)
def log_failure(sender, job, error_code, message, **kwargs):
    logger.warning("try-on %s failed: %s (%s)", job.pk, error_code, message)


@receiver(signals.provider_paused)
def tell_the_admins(sender, alias, code, reason, **kwargs):
    # An account error (bad key, no credits): jobs on this alias wait until it's resumed.
    mail_admins(f"Try-on provider {alias} paused", f"{code}: {reason}")
