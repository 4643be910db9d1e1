"""The "Generate try-ons" admin action, on product and garment changelists.

Like Django's own "Delete selected", it answers with an intermediate page that posts back
to the changelist: the merchant picks model photos (only those suiting the garments'
categories are offered) and a provider, sees per provider how many jobs would be made,
how many are skipped because an identical result exists and what it would cost, then
confirms. The jobs are created in bulk and the merchant lands on the batch's live page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.forms import Media
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..adapters import get_adapter
from ..models import Source, TryOnBatch
from ..services.generation import (
    GarmentSelection,
    GenerationPlan,
    check_selection,
    create_batch,
    plan_generation,
    select_garments,
    suitable_model_photos,
)
from .display import category_list
from .forms import GenerateTryOnsForm
from .pages import model_crumbs, render_page
from .previews import preview_url

GENERATE_PERMISSION = "django_tryon.generate_tryonjob"
ACTION_NAME = "generate_tryons"
# Which step of the confirmation page a POST comes from: "preview" or "confirm".
STEP = "_tryon_step"
PLANNED = "_tryon_planned"  # the model photos the estimate on the page was made for
# Garments listed on the confirmation page; the rest are counted.
GARMENTS_SHOWN = 24
TRYON_CSS = "django_tryon/admin/tryon.css"


class GenerateTryOnsMixin:
    """The permission behind "Generate try-ons", for any ModelAdmin that offers it."""

    def has_generate_tryons_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(GENERATE_PERMISSION)


@admin.action(description=_("Generate try-ons"), permissions=["generate_tryons"])
def generate_tryons(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    selection = select_garments(queryset)
    model_photos = suitable_model_photos(selection.categories)
    try:
        check_selection(selection, model_photos)
    except ValidationError as error:
        modeladmin.message_user(request, " ".join(error.messages), messages.WARNING)
        return None

    step = generation_step(request, selection, model_photos)
    if step.message:
        modeladmin.message_user(request, step.message, step.level)
    if step.batch is not None:
        return HttpResponseRedirect(batch_url(modeladmin.admin_site.name, step.batch.pk))
    form, plan, offered, chosen = step.form, step.plan, step.offered, step.chosen
    return confirmation_page(modeladmin, request, selection, form, plan, offered, chosen)


@dataclass
class GenerationStep:
    """Where a "Generate try-ons" page stands after a request: its form and plan, and the
    batch once the merchant confirmed (with a message to show)."""

    form: GenerateTryOnsForm
    plan: GenerationPlan
    offered: list[Any]
    chosen: list[Any]
    batch: TryOnBatch | None = None
    message: str = ""
    level: int = messages.INFO


def generation_step(
    request: HttpRequest, selection: GarmentSelection, model_photos: Any
) -> GenerationStep:
    """One step of the confirmation page, for any dashboard that shows it (the admin's,
    django-oscar's): the first view (every suitable photo ticked), a new estimate after
    the photos changed, or the confirmed batch created through ``create_batch``."""
    step = request.POST.get(STEP)
    offered = list(model_photos)
    form = GenerateTryOnsForm(
        request.POST if step else None,
        model_photos=model_photos,
        initial={"model_photos": [photo.pk for photo in offered]},  # all ticked at first
    )
    chosen = offered
    if form.is_bound and form.is_valid():
        chosen = list(form.cleaned_data["model_photos"])
    elif form.is_bound:
        chosen = [p for p in offered if str(p.pk) in request.POST.getlist("model_photos")]
    plan = plan_generation(selection.garments, chosen)
    result = GenerationStep(form, plan, offered, chosen)
    if step != "confirm" or not form.is_valid():
        return result
    if request.POST.get(PLANNED) != _photo_key(chosen):
        result.message = str(
            _("You changed the model photos: check the new estimate, then confirm.")
        )
        return result
    try:
        batch = create_batch(
            plan, form.cleaned_data["provider"], user=request.user, source=Source.ADMIN
        )
    except ValidationError as error:
        form.add_error(None, error)
        return result
    jobs = plan.alias(batch.provider).jobs
    result.batch, result.level = batch, messages.SUCCESS
    result.message = ngettext(
        "Generating %(count)d try-on with %(provider)s.",
        "Generating %(count)d try-ons with %(provider)s.",
        len(jobs),
    ) % {"count": len(jobs), "provider": batch.provider}
    return result


def product_name(garment: Any) -> str:
    """The garment's product as the shop names it (the adapter); "" when it is gone."""
    return get_adapter().name(garment.product) if garment.product is not None else ""


def batch_url(site_name: str, batch_id: int) -> str:
    return reverse(f"{site_name}:django_tryon_tryonjob_batch", args=[batch_id])


def _photo_key(photos: list[Any]) -> str:
    return ",".join(str(pk) for pk in sorted(photo.pk for photo in photos))


def confirmation_page(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    selection: GarmentSelection,
    form: GenerateTryOnsForm,
    plan: GenerationPlan,
    offered: list[Any],
    chosen: list[Any],
) -> HttpResponse:
    site = modeladmin.admin_site.name
    opts = modeladmin.opts
    shown = selection.garments[:GARMENTS_SHOWN]
    prefetch_related_objects(shown, "product")  # one query per product model

    selected_alias = form["provider"].value() or form.fields["provider"].initial
    photos_by_pk = {str(photo.pk): photo for photo in offered}
    provider_rows = [
        (choice, plan.aliases.get(choice.data["value"])) for choice in form["provider"]
    ]
    context = {
        "title": _("Generate try-ons"),
        "opts": opts,
        "media": modeladmin.media
        + form.media
        + Media(css={"all": [TRYON_CSS]}, js=["django_tryon/admin/generate.js"]),
        "form": form,
        "selection": selection,
        "plan": plan,
        "garments": [
            (garment, preview_url(site, garment), product_name(garment)) for garment in shown
        ],
        "garments_hidden": len(selection.garments) - len(shown),
        "photo_choices": [
            (choice, photo, preview_url(site, photo), category_list(photo.category_list))
            for choice in form["model_photos"]
            for photo in [photos_by_pk[str(choice.data["value"])]]
        ],
        "provider_rows": provider_rows,
        "selected": plan.aliases.get(selected_alias),
        "selected_alias": selected_alias,
        "planned": _photo_key(chosen),
        "step_name": STEP,
        "planned_name": PLANNED,
        "action_name": ACTION_NAME,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "changelist_url": _changelist_url(site, opts),
    }
    crumbs = [*model_crumbs(modeladmin.admin_site, opts), ("", str(_("Generate try-ons")))]
    return render_page(
        modeladmin.admin_site,
        request,
        [
            f"admin/{opts.app_label}/{opts.model_name}/tryon_generate.html",
            "django_tryon/admin/generate.html",
        ],
        context,
        crumbs=crumbs,
    )


def _changelist_url(site_name: str, opts: Any) -> str:
    try:
        return reverse(f"{site_name}:{opts.app_label}_{opts.model_name}_changelist")
    except NoReverseMatch:
        return ""
