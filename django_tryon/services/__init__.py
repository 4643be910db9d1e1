"""The domain API. Admin, views, commands and tasks all go through this one layer."""

from .jobs import (
    JobTimeout,
    arequest_tryon,
    cancel_job,
    check_budget,
    credits_committed_today,
    delete_expired,
    delete_job,
    delete_jobs,
    fingerprint,
    paused_providers,
    request_tryon,
    resume_provider,
    retry_job,
    wait_for,
)

__all__ = [
    "JobTimeout",
    "arequest_tryon",
    "cancel_job",
    "check_budget",
    "credits_committed_today",
    "delete_expired",
    "delete_job",
    "delete_jobs",
    "fingerprint",
    "paused_providers",
    "request_tryon",
    "resume_provider",
    "retry_job",
    "wait_for",
]

# Operational checks (tryon_check).
from .checks import Verdict, run_checks

__all__ += ["Verdict", "run_checks"]

# The shopper widget: ownership by session, limits, status; the featured gallery.
from .gallery import gallery_items
from .shopper import (
    ShopperError,
    cancel_shopper_job,
    create_shopper_job,
    delete_shopper_job,
    get_shopper_job,
    session_jobs,
    status_payload,
)

__all__ += [
    "ShopperError",
    "cancel_shopper_job",
    "create_shopper_job",
    "delete_shopper_job",
    "gallery_items",
    "get_shopper_job",
    "session_jobs",
    "status_payload",
]
