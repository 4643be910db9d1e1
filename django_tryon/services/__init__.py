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
from .gallery import gallery_items  # noqa: E402
from .shopper import (  # noqa: E402
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

# Merchant workflow: bulk generation, featured results, the overview (admin, tryon_generate).
from .featuring import FeatureOutcome, feature_results, unfeature_results  # noqa: E402
from .generation import (  # noqa: E402
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

__all__ += [
    "AliasPlan",
    "BatchProgress",
    "FeatureOutcome",
    "GarmentSelection",
    "GenerationPlan",
    "PlannedJob",
    "batch_progress",
    "batch_results",
    "check_selection",
    "create_batch",
    "download_results",
    "feature_results",
    "generate",
    "plan_generation",
    "select_garments",
    "suitable_model_photos",
    "unfeature_results",
    "wait_for_batch",
]
