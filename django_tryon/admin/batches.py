"""The live page of a batch, and the small JSON document its script polls.

The page lists the batch's first jobs as cards and a progress summary (done, running,
failed, credits spent so far); ``batch.js`` polls ``status.json`` every two seconds and
updates both in place until no job is active. No framework, no inline script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..models import Status, TryOnBatch, TryOnJob
from ..providers import UnknownProvider, get_provider
from ..services.generation import batch_progress, status
from ..services.generation.status import POLL_MILLISECONDS, batch_cards, card_state, progress_bars
from .pages import model_crumbs, render_page

if TYPE_CHECKING:
    from .jobs import TryOnJobAdmin


def _batch(job_admin: TryOnJobAdmin, request: HttpRequest, batch_id: int) -> TryOnBatch:
    if not job_admin.has_view_permission(request):
        raise PermissionDenied
    return get_object_or_404(TryOnBatch.objects.select_related("created_by"), pk=batch_id)


def _result_url(job_admin: TryOnJobAdmin) -> Callable[[TryOnJob], str]:
    return lambda job: job_admin.preview_url(job, "result")


def batch_page(job_admin: TryOnJobAdmin, request: HttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch(job_admin, request, batch_id)
    site = job_admin.admin_site.name
    jobs = batch_cards(batch)
    progress = batch_progress(batch)
    changelist = reverse(f"{site}:django_tryon_tryonjob_changelist")
    try:
        provider_name = get_provider(batch.provider).display_name
    except UnknownProvider:
        provider_name = batch.provider
    title = _("Try-on batch #%(id)s") % {"id": batch.pk}
    context = {
        "title": title,
        "opts": job_admin.opts,
        "media": job_admin.media,
        "batch": batch,
        "provider_name": provider_name,
        "progress": progress,
        "bars": progress_bars(progress),
        "cards": [
            {
                "job": job,
                "state": card_state(job, _result_url(job_admin)),
                "person": job_admin.person_thumbnail(request, job, size="md"),
                "garment_url": job_admin.preview_url(job, "garment") if job.garment_id else "",
                "url": reverse(f"{site}:django_tryon_tryonjob_change", args=[job.pk]),
            }
            for job in jobs
        ],
        "more": progress.total - len(jobs),
        "status_url": reverse(f"{site}:django_tryon_tryonjob_batch_status", args=[batch.pk]),
        "poll_ms": POLL_MILLISECONDS,
        "jobs_url": f"{changelist}?batch={batch.pk}",
        "results_url": f"{changelist}?batch={batch.pk}&status__exact={Status.SUCCEEDED}",
        "failed_url": f"{changelist}?batch={batch.pk}&status__exact={Status.FAILED}",
        "overview_url": reverse(f"{site}:django_tryon_tryonjob_overview"),
    }
    crumbs = [*model_crumbs(job_admin.admin_site, job_admin.opts), ("", str(title))]
    return render_page(
        job_admin.admin_site, request, "django_tryon/admin/batch.html", context, crumbs=crumbs
    )


def batch_status(job_admin: TryOnJobAdmin, request: HttpRequest, batch_id: int) -> JsonResponse:
    batch = _batch(job_admin, request, batch_id)
    return JsonResponse(
        status.batch_status(batch, _result_url(job_admin)), headers={"Cache-Control": "no-store"}
    )
