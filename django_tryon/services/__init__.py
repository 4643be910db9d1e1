"""The domain API. Admin, views, commands and tasks all go through this one layer.

- ``jobs``: create, wait on, cancel, retry and delete try-ons (``request_tryon``);
- ``outfits``: several garments on one person, as one job (``request_outfit``);
- ``generation``: the merchant's bulk "Generate try-ons" and ``tryon_generate``;
- ``featuring``: which results a product page shows;
- ``shopper`` and ``gallery``: the widget's side, owned by a browser session;
- ``checks``: what ``tryon_check`` verifies;
- ``conversions`` and ``conversion_report``: the widget's events, ``record_order``, and
  the report of what try-on sells.
"""

from .checks import Verdict, run_checks
from .conversion_report import conversion_report
from .conversions import record_order
from .featuring import FeatureOutcome, feature_results, unfeature_results
from .gallery import gallery_items
from .generation import (
    AliasPlan,
    BatchProgress,
    GarmentSelection,
    GenerationPlan,
    PlannedJob,
    batch_progress,
    batch_results,
    check_selection,
    create_batch,
    download_results,
    generate,
    plan_generation,
    select_garments,
    suitable_model_photos,
    wait_for_batch,
)
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
from .outfits import MAX_OUTFIT_GARMENTS, check_outfit, outfit_calls, outfit_credits, request_outfit
from .shopper import (
    ShopperError,
    cancel_shopper_job,
    create_shopper_job,
    delete_shopper_job,
    get_shopper_job,
    session_jobs,
    status_payload,
)

__all__ = [
    "MAX_OUTFIT_GARMENTS",
    "AliasPlan",
    "BatchProgress",
    "FeatureOutcome",
    "GarmentSelection",
    "GenerationPlan",
    "JobTimeout",
    "PlannedJob",
    "ShopperError",
    "Verdict",
    "arequest_tryon",
    "batch_progress",
    "batch_results",
    "cancel_job",
    "cancel_shopper_job",
    "check_budget",
    "check_outfit",
    "check_selection",
    "conversion_report",
    "create_batch",
    "create_shopper_job",
    "credits_committed_today",
    "delete_expired",
    "delete_job",
    "delete_jobs",
    "delete_shopper_job",
    "download_results",
    "feature_results",
    "fingerprint",
    "gallery_items",
    "generate",
    "get_shopper_job",
    "outfit_calls",
    "outfit_credits",
    "paused_providers",
    "plan_generation",
    "record_order",
    "request_outfit",
    "request_tryon",
    "resume_provider",
    "retry_job",
    "run_checks",
    "select_garments",
    "session_jobs",
    "status_payload",
    "suitable_model_photos",
    "unfeature_results",
    "wait_for",
    "wait_for_batch",
]
