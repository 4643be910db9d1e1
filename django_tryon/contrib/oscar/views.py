"""The try-on pages of Oscar's dashboard: thin views over ``django_tryon.services``.

Access is checked by Oscar (``TryOnOscarConfig.permissions_map``: staff plus the model
permission the Django admin asks for the same page); changes check their own permission.
Images are served through ``image`` under those checks, never by storage URL, so private
storage works; shoppers' pictures are never served here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from ...adapters import get_adapter
from ...admin.conversions import csv_response, report_context
from ...admin.forms import CheckedImageField, ModelPhotoForm
from ...admin.generate import PLANNED, STEP, generation_step
from ...admin.previews import thumbnail_response
from ...models import Category, Garment, ModelPhoto, Source, Status, TryOnBatch, TryOnJob
from ...services.garments import add_garment, garment_sources
from ...services.generation import (
    batch_progress,
    check_selection,
    select_garments,
    suitable_model_photos,
)
from ...services.generation.status import (
    POLL_MILLISECONDS,
    batch_cards,
    batch_status,
    card_state,
    progress_bars,
)
from ...services.shopper import product_garments
from .adapter import product_model
from .integration import SESSION_SELECTION, url

RESULTS_SHOWN = 12
JOBS_PER_PAGE = 50


def image_url(kind: str, obj: Any) -> str:
    return url("tryon-image", kind, obj.pk)


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(f"django_tryon.{permission}"):
        raise PermissionDenied


# The product's garments and results ---------------------------------------------------


class GarmentForm(forms.Form):
    """A new garment: one of the product's pictures, or an upload."""

    image_key = forms.ChoiceField(
        label=gettext_lazy("Product picture"), required=False, widget=forms.RadioSelect
    )
    upload = CheckedImageField(label=gettext_lazy("Or upload a garment picture"), required=False)
    category = forms.ChoiceField(label=gettext_lazy("Category"), choices=Category.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)

    def __init__(self, *args: Any, images: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["image_key"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(image.key, image.caption or image.key) for image in images]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("image_key")) == bool(data.get("upload")):
            raise ValidationError(_("Choose one of the product's pictures, or upload one."))
        return data


def product_section(
    request: HttpRequest, product: Any, form: GarmentForm | None = None
) -> dict[str, Any]:
    """The "Try-on" section of a product: its garments (or its parent's), results, form."""
    adapter = get_adapter()
    sources = garment_sources(product)
    own = list(Garment.objects.for_product(product))
    inherited = [] if own else list(product_garments(product))
    garment_ids = [g.pk for g in own or inherited]
    results = (
        TryOnJob.objects.filter(garment__in=garment_ids, status=Status.SUCCEEDED)
        .exclude(source=Source.SHOPPER)
        .exclude(result="")
        .select_related("garment", "model_photo")
        .order_by("-finished_at")[:RESULTS_SHOWN]
    )
    section = {
        "product": product,
        "product_name": adapter.name(product),
        "garments": [(g, image_url("garment", g) if g.image else "") for g in own],
        "inherited": [(g, image_url("garment", g) if g.image else "") for g in inherited],
        "parent": adapter.parent(product),
        "results": [(job, image_url("result", job)) for job in results],
        "images": sources["images"],
        "form": form
        or GarmentForm(images=sources["images"], initial={"category": sources["category"]}),
        "action_url": url("tryon-product", product.pk),
        "generate_url": f"{url('tryon-generate')}?product={product.pk}",
        "can_change": request.user.has_perm("django_tryon.change_garment"),
        "can_add": request.user.has_perm("django_tryon.add_garment"),
        "can_generate": request.user.has_perm("django_tryon.generate_tryonjob"),
    }
    return {**section, "section": section}


class ProductTryOnView(View):
    """A product's try-on page: add a garment (a product picture or an upload), switch
    garments on and off, see the results."""

    template_name = "django_tryon/oscar/dashboard/product.html"

    def product(self) -> Any:
        return get_object_or_404(product_model(), pk=self.kwargs["pk"])

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product()
        return TemplateResponse(request, self.template_name, product_section(request, product))

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        product = self.product()
        action = request.POST.get("action")
        _require(
            request, "change_garment" if action in ("activate", "deactivate") else "add_garment"
        )
        if action in ("activate", "deactivate"):
            garment = get_object_or_404(
                Garment.objects.for_product(product), pk=request.POST.get("garment")
            )
            garment.is_active = action == "activate"
            garment.save(update_fields=["is_active", "updated_at"])
            return HttpResponseRedirect(url("tryon-product", product.pk))
        images = garment_sources(product)["images"]
        form = GarmentForm(request.POST, request.FILES, images=images)
        if form.is_valid():
            try:
                garment = add_garment(
                    product,
                    category=form.cleaned_data["category"],
                    name=form.cleaned_data["name"],
                    upload=form.cleaned_data["upload"] or None,
                    image_key=form.cleaned_data["image_key"] or None,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Garment “%(name)s” added.") % {"name": garment})
                return HttpResponseRedirect(url("tryon-product", product.pk))
        context = product_section(request, product, form)
        return TemplateResponse(request, self.template_name, context, status=400)


# Generate try-ons -----------------------------------------------------------------------


class GenerateView(View):
    """ "Generate try-ons" for the products picked in the product list: the same
    confirmation (model photos, provider, cost per provider) and batch as the admin's."""

    template_name = "django_tryon/oscar/dashboard/generate.html"

    def products(self, request: HttpRequest) -> QuerySet[Any]:
        keys = request.GET.getlist("product") or request.session.get(SESSION_SELECTION, [])
        return product_model()._default_manager.filter(pk__in=[k for k in keys if str(k).isdigit()])

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.respond(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.respond(request)

    def respond(self, request: HttpRequest) -> HttpResponse:
        products = self.products(request)
        selection = select_garments(products)
        model_photos = suitable_model_photos(selection.categories)
        try:
            check_selection(selection, model_photos)
        except ValidationError as error:
            messages.warning(request, " ".join(error.messages))
            return HttpResponseRedirect(url("tryon-jobs"))
        step = generation_step(request, selection, model_photos)
        if step.message:
            messages.add_message(request, step.level, step.message)
        if step.batch is not None:
            return HttpResponseRedirect(url("tryon-batch", step.batch.pk))
        plan, form = step.plan, step.form
        selected = form["provider"].value() or form.fields["provider"].initial
        photos = {str(photo.pk): photo for photo in step.offered}
        context = {
            "selection": selection,
            "plan": plan,
            "form": form,
            "garments": [(g, image_url("garment", g) if g.image else "") for g in plan.garments],
            "photo_choices": [
                (choice, photos[str(choice.data["value"])]) for choice in form["model_photos"]
            ],
            "provider_rows": [(c, plan.aliases.get(c.data["value"])) for c in form["provider"]],
            "selected": plan.aliases.get(selected),
            "planned": ",".join(str(pk) for pk in sorted(p.pk for p in step.chosen)),
            "step_name": STEP,
            "planned_name": PLANNED,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, self.template_name, context)


class BatchView(View):
    """A batch's progress and first jobs, kept up to date in place by the admin's
    ``batch.js`` polling ``batch_status`` below."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        batch = get_object_or_404(TryOnBatch, pk=pk)
        progress = batch_progress(batch)
        jobs = batch_cards(batch)
        context = {
            "batch": batch,
            "progress": progress,
            "bars": progress_bars(progress),
            "cards": [(job, card_state(job, _result_url)) for job in jobs],
            "more": progress.total - len(jobs),
            "status_url": url("tryon-batch-status", batch.pk),
            "poll_ms": POLL_MILLISECONDS,
        }
        return TemplateResponse(request, "django_tryon/oscar/dashboard/batch.html", context)


def batch_status_json(request: HttpRequest, pk: int) -> JsonResponse:
    """The document ``batch.js`` polls, the same as the admin's (under Oscar's check)."""
    batch = get_object_or_404(TryOnBatch, pk=pk)
    return JsonResponse(batch_status(batch, _result_url), headers={"Cache-Control": "no-store"})


def _result_url(job: TryOnJob) -> str:
    shown = job.status == Status.SUCCEEDED and job.result and job.source != Source.SHOPPER
    return image_url("result", job) if shown else ""


# Jobs and model photos -----------------------------------------------------------------


class JobListView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        jobs = TryOnJob.objects.select_related("garment", "model_photo", "batch").order_by("-pk")
        status = request.GET.get("status", "")
        if status in Status.values:
            jobs = jobs.filter(status=status)
        page = Paginator(jobs, JOBS_PER_PAGE).get_page(request.GET.get("page"))
        context = {
            "page": page,
            "rows": [(job, _result_url(job)) for job in page.object_list],
            "statuses": Status.choices,
            "status": status,
        }
        return TemplateResponse(request, "django_tryon/oscar/dashboard/jobs.html", context)


class ModelPhotoListView(View):
    template_name = "django_tryon/oscar/dashboard/model_photos.html"

    def get(self, request: HttpRequest, form: ModelPhotoForm | None = None) -> HttpResponse:
        photos = ModelPhoto.objects.order_by("name")
        context = {
            "photos": [(photo, image_url("modelphoto", photo)) for photo in photos],
            "form": form or ModelPhotoForm(),
            "can_add": request.user.has_perm("django_tryon.add_modelphoto"),
        }
        return TemplateResponse(request, self.template_name, context, status=400 if form else 200)

    def post(self, request: HttpRequest) -> HttpResponse:
        _require(request, "add_modelphoto")
        form = ModelPhotoForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.get(request, form)
        photo = form.save()
        messages.success(request, _("Model photo “%(name)s” added.") % {"name": photo})
        return HttpResponseRedirect(url("tryon-model-photos"))


# The conversion report ------------------------------------------------------------------


class ConversionReportView(View):
    """The admin's conversion report, in the dashboard's frame (same figures, same CSV)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        context = {
            **report_context(request),
            "csv_url": url("tryon-conversions-export"),
            "chart_template": "django_tryon/admin/includes/bar_chart.html",
        }
        return TemplateResponse(request, "django_tryon/oscar/dashboard/conversions.html", context)


def conversions_export(request: HttpRequest) -> HttpResponse:
    return csv_response(request)


# Images --------------------------------------------------------------------------------

IMAGES = {
    "garment": (Garment, "view_garment", "image"),
    "modelphoto": (ModelPhoto, "view_modelphoto", "image"),
    "result": (TryOnJob, "view_tryonjob", "result"),
}


def image(request: HttpRequest, kind: str, pk: int) -> HttpResponseBase:
    if kind not in IMAGES:
        raise Http404
    model, permission, field = IMAGES[kind]
    _require(request, permission)
    queryset = model._default_manager.all()
    if model is TryOnJob:
        queryset = queryset.exclude(source=Source.SHOPPER)  # shoppers' pictures stay theirs
    obj = get_object_or_404(queryset, pk=pk)
    return thumbnail_response(getattr(obj, field))
