"""Try-ons in bulk for the merchant: what a selection means, what it costs, and creating it.

"Generate try-ons" (the admin action and ``manage.py tryon_generate``) takes two steps:

1. ``plan_generation`` pairs each garment with each chosen model photo that suits its
   category, then works out per provider alias which jobs are new, which are skipped
   because an identical result exists (or is being made), which garments the provider
   can't do, and what the new jobs cost. It writes nothing.
2. ``create_batch`` turns one alias's plan into a ``TryOnBatch``: one ``bulk_create`` of
   due jobs, and one drain message once the transaction commits, as for any new work.

Catalogues are large, so the work does not grow with the number of pairs: every image is
read and checked once (not once per pair), identical earlier jobs are found with one
query, and the number of queries is the same for 100 products as for 10,000 (except
where the database limits how many rows one INSERT may carry).

``selection`` turns a choice of products or garments into garments, ``plans`` plans,
``batches`` creates a batch, follows it and fetches its results; ``outfits`` plans and
creates outfits (several garments worn together) on model photos.
"""

from .batches import (
    BatchProgress,
    batch_progress,
    batch_results,
    create_batch,
    download_results,
    generate,
    wait_for_batch,
)
from .outfits import OutfitPlan, generate_outfits, outfit_model_photos, plan_outfit
from .plans import (
    AliasPlan,
    GenerationPlan,
    PlannedJob,
    Refusal,
    check_alias,
    nothing_to_generate,
    paused_error,
    plan_generation,
)
from .selection import (
    GarmentSelection,
    check_selection,
    garments_by_ids,
    model_photos_by_ids,
    products_by_ids,
    select_garments,
    suitable_model_photos,
)

__all__ = [
    "AliasPlan",
    "BatchProgress",
    "GarmentSelection",
    "GenerationPlan",
    "OutfitPlan",
    "PlannedJob",
    "Refusal",
    "batch_progress",
    "batch_results",
    "check_alias",
    "check_selection",
    "create_batch",
    "download_results",
    "garments_by_ids",
    "generate",
    "generate_outfits",
    "model_photos_by_ids",
    "nothing_to_generate",
    "outfit_model_photos",
    "paused_error",
    "plan_generation",
    "plan_outfit",
    "products_by_ids",
    "select_garments",
    "suitable_model_photos",
    "wait_for_batch",
]
