"""Actions on try-on jobs: retry, cancel, feature and unfeature, resume a paused provider.

Each works on a changelist selection and also backs a button on the job's own page; those
buttons post ``_tryon_return=object`` so the merchant lands back on the job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..lookups import parse_int
from ..models import ACTIVE_STATUSES, Status, TryOnJob
from ..services import (
    cancel_job,
    feature_results,
    paused_providers,
    resume_provider,
    retry_job,
    unfeature_results,
)

RETURN = "_tryon_return"
RETRYABLE = (Status.FAILED, Status.CANCELED)

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[TryOnJob]


def _back(
    modeladmin: ModelAdmin, request: HttpRequest, job: TryOnJob | None
) -> HttpResponse | None:
    """Back to ``job``'s page when the action came from a job page; else to the list."""
    if job is None or request.POST.get(RETURN) != "object":
        return None
    site = modeladmin.admin_site.name
    return HttpResponseRedirect(reverse(f"{site}:django_tryon_tryonjob_change", args=[job.pk]))


def _single(queryset: QuerySet[TryOnJob]) -> TryOnJob | None:
    jobs = list(queryset[:2])
    return jobs[0] if len(jobs) == 1 else None


@admin.action(
    description=_("Retry failed try-ons as new attempts"), permissions=["generate_tryons"]
)
def retry_failed(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[TryOnJob]
) -> HttpResponse | None:
    already = Exists(TryOnJob.objects.filter(retry_of=OuterRef("pk")))
    retryable = queryset.filter(status__in=RETRYABLE).exclude(already)
    left_out = queryset.count() - retryable.count()
    started: list[TryOnJob] = []
    for job in retryable.select_related("garment", "model_photo"):
        try:
            started.append(retry_job(job))
        except ValidationError as error:
            modeladmin.message_user(
                request,
                _("Try-on #%(id)s was not retried: %(reason)s")
                % {"id": job.pk, "reason": " ".join(error.messages)},
                messages.ERROR,
            )
    if started:
        modeladmin.message_user(
            request,
            ngettext(
                "Started %(count)d new attempt; the failed one stays in the history.",
                "Started %(count)d new attempts; the failed ones stay in the history.",
                len(started),
            )
            % {"count": len(started)},
            messages.SUCCESS,
        )
    if left_out:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d try-on was left alone: only failed or canceled try-ons that were "
                "not retried yet can be retried.",
                "%(count)d try-ons were left alone: only failed or canceled try-ons that were "
                "not retried yet can be retried.",
                left_out,
            )
            % {"count": left_out},
            messages.WARNING,
        )
    return _back(modeladmin, request, started[0] if len(started) == 1 else None)


@admin.action(description=_("Cancel running try-ons"), permissions=["change"])
def cancel_running(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[TryOnJob]
) -> HttpResponse | None:
    canceled = sum(1 for job in queryset.filter(status__in=ACTIVE_STATUSES) if cancel_job(job))
    if canceled:
        modeladmin.message_user(
            request,
            ngettext(
                "Canceled %(count)d try-on (at the provider too, where it allows it).",
                "Canceled %(count)d try-ons (at the provider too, where it allows it).",
                canceled,
            )
            % {"count": canceled},
            messages.SUCCESS,
        )
    else:
        modeladmin.message_user(
            request, _("None of the selected try-ons was pending or running."), messages.WARNING
        )
    return _back(modeladmin, request, _single(queryset))


@admin.action(description=_("Feature on the product page"), permissions=["change"])
def feature(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[TryOnJob]
) -> HttpResponse | None:
    raw = (request.POST.get("position") or "").strip()
    position = parse_int(raw, low=1, high=999)
    if raw and position is None:
        modeladmin.message_user(
            request,
            _(
                "The position must be a whole number from 1 (first) to 999; leave it empty to "
                "add the results at the end."
            ),
            messages.ERROR,
        )
        return None
    outcome = feature_results(queryset, position=position)
    if outcome.featured:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d result is now shown on its product page.",
                "%(count)d results are now shown on their product pages.",
                outcome.featured,
            )
            % {"count": outcome.featured},
            messages.SUCCESS,
        )
    if outcome.refused:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d try-on can't be featured: only succeeded try-ons made with your "
                "model photos can be shown on product pages.",
                "%(count)d try-ons can't be featured: only succeeded try-ons made with your "
                "model photos can be shown on product pages.",
                outcome.refused,
            )
            % {"count": outcome.refused},
            messages.WARNING,
        )
    elif not outcome.featured:
        modeladmin.message_user(
            request, _("The selected results are featured already."), messages.INFO
        )
    return _back(modeladmin, request, _single(queryset))


@admin.action(description=_("Remove from the product page"), permissions=["change"])
def unfeature(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[TryOnJob]
) -> HttpResponse | None:
    count = unfeature_results(queryset)
    modeladmin.message_user(
        request,
        ngettext(
            "%(count)d result is no longer shown on its product page.",
            "%(count)d results are no longer shown on their product pages.",
            count,
        )
        % {"count": count},
        messages.SUCCESS if count else messages.INFO,
    )
    return _back(modeladmin, request, _single(queryset))


@admin.action(
    description=_("Resume the paused provider of these try-ons"), permissions=["resume_provider"]
)
def resume_paused_provider(
    modeladmin: ModelAdmin, request: HttpRequest, queryset: QuerySet[TryOnJob]
) -> HttpResponse | None:
    paused = paused_providers()
    aliases = sorted(set(queryset.values_list("provider", flat=True)) & set(paused))
    if not aliases:
        modeladmin.message_user(
            request, _("The providers of the selected try-ons are not paused."), messages.INFO
        )
    for alias in aliases:
        waiting = resume_provider(alias)
        modeladmin.message_user(
            request,
            ngettext(
                "The provider %(alias)s takes jobs again (it was paused: %(reason)s); "
                "%(count)d job goes on.",
                "The provider %(alias)s takes jobs again (it was paused: %(reason)s); "
                "%(count)d jobs go on.",
                waiting,
            )
            % {"alias": alias, "reason": paused[alias], "count": waiting},
            messages.SUCCESS,
        )
    return _back(modeladmin, request, _single(queryset))


JOB_ACTIONS: list[Any] = [retry_failed, cancel_running, feature, unfeature, resume_paused_provider]
