"""The "Generate an outfit" admin action: the selected garments worn together.

On the garment and product changelists, beside "Generate try-ons": the merchant picks the
model photos (those suiting every garment's category) and a provider, sees per provider
how many calls one picture takes and what the outfit costs, then confirms; one job per
model photo is created (``services.generation.generate_outfits``) and the merchant lands
on the batch's live page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.forms import Media
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..conf import tryon_settings
from ..models import Source
from ..services.generation import (
    OutfitPlan,
    generate_outfits,
    outfit_model_photos,
    plan_outfit,
    select_garments,
)
from .forms import GenerateTryOnsForm
from .generate import STEP, TRYON_CSS, _changelist_url, batch_url
from .pages import model_crumbs, render_page

ACTION_NAME = "generate_outfit"


@admin.action(
    description=_("Generate an outfit (garments worn together)"), permissions=["generate_tryons"]
)
def generate_outfit(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> HttpResponse | None:
    garments = select_garments(queryset).garments
    photos = outfit_model_photos(garments)
    step = request.POST.get(STEP)
    form = GenerateTryOnsForm(
        request.POST if step else None,
        model_photos=photos,
        initial={"model_photos": [p.pk for p in photos]},
    )
    chosen = (
        list(form.cleaned_data["model_photos"])
        if form.is_bound and form.is_valid()
        else list(photos)
    )
    plans: list[tuple[str, OutfitPlan | None, str]] = []
    for alias in tryon_settings.provider_aliases():
        try:
            plans.append((alias, plan_outfit(garments, chosen, alias), ""))
        except ValidationError as error:
            plans.append((alias, None, " ".join(error.messages)))
    if not any(plan for _alias, plan, _why in plans):
        modeladmin.message_user(request, plans[0][2] if plans else "", messages.WARNING)
        return None
    if step == "confirm" and form.is_valid():
        alias = form.cleaned_data["provider"]
        plan = next((p for a, p, _why in plans if a == alias), None)
        try:
            if plan is None:
                raise ValidationError(next(why for a, _p, why in plans if a == alias))
            batch = generate_outfits(plan, user=request.user, source=Source.ADMIN)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            count = len(plan.model_photos)
            modeladmin.message_user(
                request,
                ngettext(
                    "Generating %(count)d outfit with %(provider)s.",
                    "Generating %(count)d outfits with %(provider)s.",
                    count,
                )
                % {"count": count, "provider": alias},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(batch_url(modeladmin.admin_site.name, batch.pk))
    opts = modeladmin.opts
    context = {
        "title": _("Generate an outfit"),
        "opts": opts,
        "media": modeladmin.media + form.media + Media(css={"all": [TRYON_CSS]}),
        "form": form,
        "garments": garments,
        "plans": plans,
        "selected_alias": form["provider"].value() or tryon_settings.DEFAULT_PROVIDER,
        "step_name": STEP,
        "action_name": ACTION_NAME,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "selected_ids": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "changelist_url": _changelist_url(modeladmin.admin_site.name, opts),
    }
    crumbs = [*model_crumbs(modeladmin.admin_site, opts), ("", str(_("Generate an outfit")))]
    return render_page(
        modeladmin.admin_site,
        request,
        "django_tryon/admin/generate_outfit.html",
        context,
        crumbs=crumbs,
    )
