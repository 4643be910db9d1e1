"""The try-on overview: 30 days of jobs and credits at a glance, the queue, paused aliases.

For merchants who would rather look than read. Every figure comes from
``django_tryon.services.activity``; this module only arranges it for the template.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..models import Status
from ..providers import UnknownProvider, get_provider
from ..services import activity, resume_provider
from ..services.accounts import account_lines
from .charts import stacked_bars
from .pages import model_crumbs, render_page

if TYPE_CHECKING:
    from .jobs import TryOnJobAdmin

DAYS = 30
QUEUE_ROWS = 20
BATCHES = 8
RESUME_PERMISSION = "django_tryon.change_providerstate"
PROVIDER_STYLES = 6  # colours for provider aliases, in configuration order, then repeated


def can_resume(request: HttpRequest) -> bool:
    return request.user.has_perm(RESUME_PERMISSION)


def _provider_labels(aliases: list[str]) -> dict[str, str]:
    labels = {}
    for alias in aliases:
        try:
            labels[alias] = f"{get_provider(alias).display_name} ({alias})"
        except UnknownProvider:  # an alias since removed from the settings
            labels[alias] = alias
    return labels


def overview_page(job_admin: TryOnJobAdmin, request: HttpRequest) -> HttpResponse:
    if not job_admin.has_view_permission(request):
        raise PermissionDenied
    site = job_admin.admin_site.name
    jobs = activity.jobs_per_day(DAYS)
    credits = activity.credits_per_day(DAYS)
    provider_styles = {
        alias: f"provider-{i % PROVIDER_STYLES}" for i, alias in enumerate(credits.keys)
    }
    queue = list(activity.queue().select_related("garment", "model_photo")[:QUEUE_ROWS])
    by_alias = activity.queue_by_alias()
    changelist = reverse(f"{site}:django_tryon_tryonjob_changelist")
    title = _("Try-on overview")
    context = {
        "title": title,
        "opts": job_admin.opts,
        "media": job_admin.media,
        "days": DAYS,
        "jobs_chart": stacked_bars(
            jobs,
            labels={value: str(label) for value, label in Status.choices},
            styles={value: value for value in Status.values},
        ),
        "credits_chart": stacked_bars(
            credits, labels=_provider_labels(credits.keys), styles=provider_styles
        ),
        "credits_total": sum(credits.total(key) for key in credits.keys),
        "jobs_total": sum(jobs.total(key) for key in jobs.keys),
        "queue": [
            (job, reverse(f"{site}:django_tryon_tryonjob_change", args=[job.pk])) for job in queue
        ],
        "queue_total": sum(sum(counts.values()) for counts in by_alias.values()),
        "queue_by_alias": by_alias,
        "queue_url": f"{changelist}?status__in={Status.PENDING},{Status.RUNNING}",
        "paused": activity.paused_aliases(),
        "accounts": account_lines(),
        "can_resume": can_resume(request),
        "resume_url": reverse(f"{site}:django_tryon_tryonjob_resume"),
        "batches": [
            (batch, reverse(f"{site}:django_tryon_tryonjob_batch", args=[batch.pk]))
            for batch in activity.recent_batches(BATCHES)
        ],
        "changelist_url": changelist,
    }
    crumbs = [*model_crumbs(job_admin.admin_site, job_admin.opts), ("", str(title))]
    return render_page(
        job_admin.admin_site, request, "django_tryon/admin/overview.html", context, crumbs=crumbs
    )


def resume_view(job_admin: TryOnJobAdmin, request: HttpRequest) -> HttpResponse:
    """Resume the paused alias named in the POST (POST only), then back to the overview."""
    if not can_resume(request):
        raise PermissionDenied
    alias = request.POST.get("alias", "")
    try:
        waiting = resume_provider(alias)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            ngettext(
                "The provider %(alias)s takes jobs again; %(count)d waiting job goes on.",
                "The provider %(alias)s takes jobs again; %(count)d waiting jobs go on.",
                waiting,
            )
            % {"alias": alias, "count": waiting},
        )
    return HttpResponseRedirect(
        reverse(f"{job_admin.admin_site.name}:django_tryon_tryonjob_overview")
    )
