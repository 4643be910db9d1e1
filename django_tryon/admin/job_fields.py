"""The read-only fields of a job's page: what happened, at what cost, and why.

A mixin of ``TryOnJobAdmin``: the fieldsets and the methods that render each field, in
plain words for the merchant, with the provider's raw codes kept for their support.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from ..models import ACTIVE_STATUSES, TryOnJob
from ..providers import UnknownProvider, get_provider
from .display import admin_link, duration, product_link, status_badge

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class JobFieldsMixin:
    admin_site: Any

    fieldsets: ClassVar[Any] = [
        (
            None,
            {
                "fields": [
                    "status_display",
                    "error_display",
                    "error_codes",
                    ("source", "batch_link"),
                ]
            },
        ),
        (_("Provider"), {"fields": ["provider_display", "provider_job_id", "fallback_history"]}),
        (
            _("Credits and timing"),
            {
                "fields": [
                    ("estimated_credits", "credits_charged"),
                    ("created_at", "submitted_at"),
                    ("result_ready_at", "finished_at"),
                    ("queued_for", "took"),
                ]
            },
        ),
        (
            _("Attempts"),
            {
                "fields": [
                    ("attempts", "transient_errors"),
                    "retry_of_link",
                    "retries_links",
                    "reused_from_link",
                ]
            },
        ),
        (
            _("Inputs"),
            {
                "fields": [
                    "product_link",
                    "garment_link",
                    "model_photo_link",
                    "category",
                    "prompt",
                    "options_display",
                ]
            },
        ),
        (_("Product page"), {"fields": [("is_featured", "featured_order")]}),
    ]
    # Shown for shoppers' try-ons only.
    privacy_fieldset: ClassVar[Any] = (
        _("Shopper privacy"),
        {"fields": ["consent_display", "expires_at"]},
    )

    @admin.display(description=_("status"))
    def status_display(self, obj: TryOnJob) -> SafeString:
        return status_badge(obj.status)

    @admin.display(description=_("error"))
    def error_display(self, obj: TryOnJob) -> str:
        if not obj.error_message:
            return "—"
        if obj.status in ACTIVE_STATUSES:
            return _("Last error, retrying: %(message)s") % {"message": obj.error_message}
        return obj.error_message

    @admin.display(description=_("error codes"))
    def error_codes(self, obj: TryOnJob) -> SafeString | str:
        if not (obj.error_code or obj.provider_error_code):
            return "—"
        return format_html(
            "{}: <code>{}</code> · {}: <code>{}</code>",
            _("ours"),
            obj.error_code or "—",
            _("provider's, for their support"),
            obj.provider_error_code or "—",
        )

    @admin.display(description=_("batch"))
    def batch_link(self, obj: TryOnJob) -> SafeString | str:
        if obj.batch_id is None:
            return "—"
        url = reverse(f"{self.admin_site.name}:django_tryon_tryonjob_batch", args=[obj.batch_id])
        return format_html('<a href="{}">{}</a>', url, _("Batch #%(id)s") % {"id": obj.batch_id})

    @admin.display(description=_("provider"))
    def provider_display(self, obj: TryOnJob) -> str:
        try:
            return f"{get_provider(obj.provider).display_name} ({obj.provider})"
        except UnknownProvider:
            return obj.provider

    @admin.display(description=_("failover history"))
    def fallback_history(self, obj: TryOnJob) -> StrOrPromise:
        if not obj.provider_history:
            return _("None: the job stayed with its first provider.")
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            (
                (
                    e.get("alias", ""),
                    e.get("provider_job_id") or "—",
                    e.get("code", ""),
                    e.get("at", ""),
                )
                for e in obj.provider_history
            ),
        )
        return format_html(
            '<table class="tryon-history"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
            "</tr></thead><tbody>{}</tbody></table>",
            _("left provider"),
            _("its job id"),
            _("because of"),
            _("at"),
            rows,
        )

    @admin.display(description=_("waited in queue"))
    def queued_for(self, obj: TryOnJob) -> str:
        return duration(obj.created_at, obj.submitted_at) or "—"

    @admin.display(description=_("took"))
    def took(self, obj: TryOnJob) -> str:
        return duration(obj.submitted_at or obj.created_at, obj.finished_at) or "—"

    @admin.display(description=_("retry of"))
    def retry_of_link(self, obj: TryOnJob) -> Any:
        return admin_link(self.admin_site.name, obj.retry_of) if obj.retry_of_id else "—"

    @admin.display(description=_("retried as"))
    def retries_links(self, obj: TryOnJob) -> Any:
        retries = list(obj.retries.order_by("pk"))
        if not retries:
            return "—"
        return format_html_join(
            ", ", "{}", ((admin_link(self.admin_site.name, r),) for r in retries)
        )

    @admin.display(description=_("result reused from"))
    def reused_from_link(self, obj: TryOnJob) -> Any:
        if not obj.reused_from_id:
            return "—"
        return format_html(
            "{} ({})",
            admin_link(self.admin_site.name, obj.reused_from),
            _("an identical earlier try-on: no credits spent"),
        )

    @admin.display(description=_("product"))
    def product_link(self, obj: TryOnJob) -> Any:
        return product_link(self.admin_site.name, obj.garment.product if obj.garment else None)

    @admin.display(description=_("garment"))
    def garment_link(self, obj: TryOnJob) -> Any:
        if obj.outfit_size > 1:  # an outfit: every garment it puts on, in order
            links = ((admin_link(self.admin_site.name, g),) for g in obj.outfit_garments())
            return format_html_join(" + ", "{}", links)
        return admin_link(self.admin_site.name, obj.garment)

    @admin.display(description=_("model photo"))
    def model_photo_link(self, obj: TryOnJob) -> Any:
        if obj.model_photo_id:
            return admin_link(self.admin_site.name, obj.model_photo)
        shopper = obj.person_image or obj.shopper_photo_id
        return _("A shopper's own photo") if shopper else "—"

    @admin.display(description=_("options"))
    def options_display(self, obj: TryOnJob) -> SafeString | str:
        if not obj.options:
            return "—"
        return format_html("<code>{}</code>", json.dumps(obj.options, sort_keys=True))

    @admin.display(description=_("consent"))
    def consent_display(self, obj: TryOnJob) -> str:
        if not obj.consented_at:
            return "—"
        return _("Version %(version)s, given %(at)s") % {
            "version": obj.consent_version,
            "at": obj.consented_at.strftime("%Y-%m-%d %H:%M"),
        }
