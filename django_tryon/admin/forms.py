"""Forms of the try-on admin: garments, model photos, the generation step, the job actions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.admin.helpers import ActionForm
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from ..conf import tryon_settings
from ..imaging import validate_image
from ..models import Category, Garment, ModelPhoto
from ..services.generation import check_alias


class CheckedImageField(forms.ImageField):
    """An image field that checks uploads by content with the app's own rules.

    Format allow-list, byte and pixel limits, truncation: the same checks every image
    entering the app passes, with the same plain-words messages, before Pillow's own.
    """

    def to_python(self, data: Any) -> Any:
        if isinstance(data, UploadedFile):
            validate_image(data)
        return super().to_python(data)


class GarmentForm(forms.ModelForm):
    class Meta:
        model = Garment
        fields = [
            "content_type",
            "object_id",
            "name",
            "category",
            "image",
            "description",
            "prompt",
            "is_active",
        ]
        field_classes = {"image": CheckedImageField}


class ModelPhotoForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(
        label=_("Suits"),
        choices=Category.choices,
        initial=Category.values,  # as the model's default: a full-length photo suits all
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Garment categories this photo works for (a half-body shot: upper body only)."),
        error_messages={"required": _("Choose at least one garment category.")},
    )

    class Meta:
        model = ModelPhoto
        fields = ["name", "image", "categories", "is_active"]
        field_classes = {"image": CheckedImageField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        stored = self.initial.get("categories")
        if isinstance(stored, str):  # the model keeps them comma-separated
            self.initial["categories"] = [c for c in stored.split(",") if c]

    def clean_categories(self) -> str:
        chosen = set(self.cleaned_data["categories"])
        return ",".join(value for value in Category.values if value in chosen)


class GenerateTryOnsForm(forms.Form):
    """The choices on the "Generate try-ons" confirmation page."""

    model_photos = forms.ModelMultipleChoiceField(
        label=_("Model photos"),
        queryset=ModelPhoto.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one model photo.")},
    )
    # Free text behind radio buttons, so an unknown alias gets our reason, not "invalid choice".
    provider = forms.CharField(label=_("Provider"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, model_photos: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        photos = self.fields["model_photos"]
        assert isinstance(photos, forms.ModelMultipleChoiceField)
        photos.queryset = model_photos
        aliases = tryon_settings.provider_aliases()
        self.fields["provider"].widget.choices = [(alias, alias) for alias in aliases]
        self.fields["provider"].initial = tryon_settings.DEFAULT_PROVIDER

    def clean_provider(self) -> str:
        alias = self.cleaned_data["provider"]
        check_alias(alias)  # unknown or paused: refused with the reason
        return alias


class JobActionForm(ActionForm):
    """The job changelist's action bar, with the position for "Feature on product page".

    Text, not an integer field: an invalid action form makes Django say "No action selected",
    so the action itself checks the position and says what is wrong with it.
    """

    position = forms.CharField(
        label=_("Position on the product page:"),
        required=False,
        widget=forms.NumberInput(
            attrs={"min": 1, "placeholder": _("last"), "class": "tryon-position"}
        ),
    )
