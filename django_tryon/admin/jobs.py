"""The try-on job admin: a read-only record of every job, the merchant's actions on jobs,
and the pages hung under it (a batch's live progress, the overview).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path, reverse
from django.utils.decorators import method_decorator
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from ..models import ACTIVE_STATUSES, Source, Status, TryOnJob
from ..services import delete_job, delete_jobs, paused_providers
from ..services.featuring import is_featurable
from . import batches, overview
from .actions import JOB_ACTIONS, RETRYABLE, RETURN
from .display import placeholder, product_link, short_time, status_badge, thumbnail
from .filters import BatchFilter, GarmentFilter, ModelPhotoFilter, ProductFilter, ProviderFilter
from .forms import JobActionForm
from .generate import GenerateTryOnsMixin
from .job_fields import JobFieldsMixin
from .previews import PreviewMixin

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

SHOPPER_PHOTOS_PERMISSION = "django_tryon.view_shopper_photos"


def is_private(job: TryOnJob) -> bool:
    """A shopper's photo, or a result showing one: never shown without the permission."""
    return job.source == Source.SHOPPER or bool(job.person_image)


@admin.register(TryOnJob)
class TryOnJobAdmin(JobFieldsMixin, GenerateTryOnsMixin, PreviewMixin, admin.ModelAdmin):
    preview_fields = ("person", "garment", "result", "mask")
    change_list_template = "django_tryon/admin/tryonjob/change_list.html"
    change_form_template = "django_tryon/admin/tryonjob/change_form.html"
    action_form = JobActionForm
    actions = JOB_ACTIONS
    list_display_links = ("job",)
    list_filter = (
        "status",
        ProviderFilter,
        "source",
        "category",
        "is_featured",
        ("created_at", admin.DateFieldListFilter),
        ProductFilter,
        GarmentFilter,
        ModelPhotoFilter,
        BatchFilter,
    )
    search_fields = (
        "=token",
        "=provider_job_id",
        "garment__name",
        "model_photo__name",
        "error_code",
        "provider_error_code",
    )
    search_help_text = _(
        "Garment or model photo name, error code, or a job's token or provider id."
    )
    list_per_page = 50

    class Media:
        css = {"all": ["django_tryon/admin/tryon.css"]}
        js = ["django_tryon/admin/job_actions.js"]

    # Permissions ------------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are made by generating, never typed in

    def has_change_permission(self, request: HttpRequest, obj: TryOnJob | None = None) -> bool:
        # The record itself is read-only; "change" is what the actions on jobs need.
        return obj is None and super().has_change_permission(request)

    def has_resume_provider_permission(self, request: HttpRequest) -> bool:
        return overview.can_resume(request)

    def can_see_private(self, request: HttpRequest) -> bool:
        return request.user.has_perm(SHOPPER_PHOTOS_PERMISSION)

    # Queries ----------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet[TryOnJob]:
        # The changelist's rows in one query, their products in one more per product model.
        return (
            super()
            .get_queryset(request)
            .select_related("garment", "model_photo")
            .prefetch_related("garment__product")
        )

    def get_readonly_fields(self, request: HttpRequest, obj: TryOnJob | None = None) -> Any:
        return flatten_fieldsets(self.get_fieldsets(request, obj))

    def get_fieldsets(self, request: HttpRequest, obj: TryOnJob | None = None) -> Any:
        if obj is not None and obj.source == Source.SHOPPER:
            return [*self.fieldsets, self.privacy_fieldset]
        return self.fieldsets

    def delete_model(self, request: HttpRequest, obj: TryOnJob) -> None:
        delete_job(obj)  # the stored result, mask and shopper photo go too

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TryOnJob]) -> None:
        delete_jobs(queryset.prefetch_related(None).iterator())

    # Images -----------------------------------------------------------------------------

    def preview_file(self, request: HttpRequest, obj: TryOnJob, field: str) -> Any:
        if self.preview_is_private(obj, field) and not self.can_see_private(request):
            return None
        if field == "person":
            return obj.person_file
        if field == "garment":
            return obj.garment.image if obj.garment is not None else None
        return super().preview_file(request, obj, field)

    def preview_is_private(self, obj: TryOnJob, field: str) -> bool:
        return field != "garment" and is_private(obj)

    def person_thumbnail(
        self, request: HttpRequest, job: TryOnJob, *, size: str = "sm"
    ) -> SafeString:
        if job.model_photo_id and job.model_photo is not None:
            return thumbnail(self.preview_url(job, "person"), str(job.model_photo), size=size)
        if not job.person_image and not job.shopper_photo_id:
            return placeholder(_("No photo"), size=size)
        if not self.can_see_private(request):
            return _private(size)
        return thumbnail(self.preview_url(job, "person"), _("Shopper's photo"), size=size)

    def garment_thumbnail(self, job: TryOnJob, *, size: str = "sm") -> SafeString:
        if job.garment is None or not job.garment.image:
            return placeholder(_("Prompt"), size=size, title=job.prompt)
        return thumbnail(self.preview_url(job, "garment"), str(job.garment), size=size)

    def result_thumbnail(
        self, request: HttpRequest, job: TryOnJob, *, size: str = "sm", link: bool = False
    ) -> SafeString:
        if not job.result:
            return placeholder(Status(job.status).label, size=size)
        if is_private(job) and not self.can_see_private(request):
            return _private(size)
        href = self.preview_url(job, "result", thumbnail=False) if link else ""
        return thumbnail(self.preview_url(job, "result"), _("Result"), size=size, href=href)

    # The changelist ---------------------------------------------------------------------

    def get_list_display(self, request: HttpRequest) -> Any:
        return (
            "job",
            self._images_column(request),
            "status_column",
            "product_column",
            "credits_charged",
            "created_column",
        )

    def _images_column(self, request: HttpRequest) -> Any:
        # A closure: whether shoppers' photos may be shown depends on who is looking.
        def images(job: TryOnJob) -> SafeString:
            return format_html(
                '<span class="tryon-strip">{}<span aria-hidden="true">+</span>{}'
                '<span aria-hidden="true">→</span>{}</span>',
                self.person_thumbnail(request, job),
                self.garment_thumbnail(job),
                self.result_thumbnail(request, job),
            )

        images.short_description = _("person + garment → result")  # type: ignore[attr-defined]
        return images

    @admin.display(description=_("try-on"), ordering="pk")
    def job(self, obj: TryOnJob) -> SafeString:
        if not obj.is_featured:
            return format_html("#{}", obj.pk)
        return format_html(
            '#{}<br><span class="tryon-featured" title="{}">★ {}</span>',
            obj.pk,
            _("Shown on the product page, at this position"),
            obj.featured_order,
        )

    @admin.display(description=_("status, provider"), ordering="status")
    def status_column(self, obj: TryOnJob) -> SafeString:
        return format_html(
            '{}<br><small class="tryon-muted"><code>{}</code> · {}</small>',
            status_badge(obj.status, title=obj.error_message),
            obj.provider,
            obj.get_source_display(),
        )

    @admin.display(description=_("product, on"))
    def product_column(self, obj: TryOnJob) -> SafeString:
        product = obj.garment.product if obj.garment is not None else None
        person: StrOrPromise = "—"
        if obj.model_photo is not None:
            person = str(obj.model_photo)
        elif obj.person_image or obj.shopper_photo_id:
            person = _("a shopper's photo")
        return format_html(
            '{}<br><small class="tryon-muted">{}</small>',
            product_link(self.admin_site.name, product)
            if product is not None
            else obj.prompt[:40] or "—",
            _("on %(person)s") % {"person": person},
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created_column(self, obj: TryOnJob) -> SafeString:
        return short_time(obj.created_at)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> Any:
        site = self.admin_site.name
        context = {
            "tryon_paused": paused_providers(),
            "tryon_overview_url": reverse(f"{site}:django_tryon_tryonjob_overview"),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context=context)

    # The job's page ---------------------------------------------------------------------

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: TryOnJob | None = None,
    ) -> Any:
        if obj is not None:
            context.update(
                tryon_person=self.person_thumbnail(request, obj, size="lg"),
                tryon_garment=self.garment_thumbnail(obj, size="lg"),
                tryon_result=self.result_thumbnail(request, obj, size="lg", link=True),
                tryon_person_label=_("Model photo") if obj.model_photo_id else _("Shopper's photo"),
                tryon_buttons=self._buttons(request, obj),
                tryon_changelist_url=reverse(
                    f"{self.admin_site.name}:django_tryon_tryonjob_changelist"
                ),
                tryon_return=RETURN,
                tryon_checkbox=helpers.ACTION_CHECKBOX_NAME,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _buttons(self, request: HttpRequest, job: TryOnJob) -> list[tuple[str, str]]:
        """(action name, label) of the actions that apply to ``job`` for this user."""
        allowed = self.get_actions(request)
        featurable = is_featurable(job)
        wanted = [
            ("retry_failed", _("Retry"), job.status in RETRYABLE and not job.retries.exists()),
            ("cancel_running", _("Cancel"), job.status in ACTIVE_STATUSES),
            ("feature", _("Feature on product page"), featurable and not job.is_featured),
            ("unfeature", _("Remove from product page"), job.is_featured),
            (
                "resume_paused_provider",
                _("Resume %(alias)s") % {"alias": job.provider},
                job.provider in paused_providers(),
            ),
        ]
        return [
            (name, str(label)) for name, label, applies in wanted if applies and name in allowed
        ]

    # Pages under the job admin ----------------------------------------------------------

    def get_urls(self) -> list[URLPattern]:
        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("overview/", wrap(self.overview_view), name=f"{prefix}_overview"),
            path("overview/resume/", wrap(self.resume_view), name=f"{prefix}_resume"),
            path("batch/<int:batch_id>/", wrap(self.batch_view), name=f"{prefix}_batch"),
            path(
                "batch/<int:batch_id>/status.json",
                wrap(self.batch_status_view),
                name=f"{prefix}_batch_status",
            ),
            *super().get_urls(),
        ]

    def overview_view(self, request: HttpRequest) -> HttpResponse:
        return overview.overview_page(self, request)

    @method_decorator(require_POST)
    def resume_view(self, request: HttpRequest) -> HttpResponse:
        return overview.resume_view(self, request)

    def batch_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        return batches.batch_page(self, request, batch_id)

    def batch_status_view(self, request: HttpRequest, batch_id: int) -> HttpResponse:
        return batches.batch_status(self, request, batch_id)


def _private(size: str) -> SafeString:
    return placeholder(
        _("Private"),
        size=size,
        title=_("A shopper's photo: seeing it needs the “Can see shoppers' photos” permission."),
    )
