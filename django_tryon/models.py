"""Garments, model photos and try-on jobs.

The ``TryOnJob`` row is the truth about a job; queue messages only wake the pipeline up.
Its ``status`` is the public, normalised vocabulary; the pipeline derives the step to take
from the other columns (see ``django_tryon.pipeline``).
"""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .storage import get_private_storage, get_storage, upload_to


class Category(models.TextChoices):
    UPPER_BODY = "upper_body", _("Upper body")
    LOWER_BODY = "lower_body", _("Lower body")
    FULL_BODY = "full_body", _("Full body")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    CANCELED = "canceled", _("Canceled")


ACTIVE_STATUSES = (Status.PENDING, Status.RUNNING)
TERMINAL_STATUSES = (Status.SUCCEEDED, Status.FAILED, Status.CANCELED)


class Source(models.TextChoices):
    ADMIN = "admin", _("Admin")
    SHOPPER = "shopper", _("Shopper")
    API = "api", _("API")
    COMMAND = "command", _("Command")


def new_token() -> str:
    """128 random bits, URL-safe: the public handle of a job."""
    return secrets.token_urlsafe(16)


class DigestedImage(models.Model):
    """A model whose ``image`` content digest is kept on the row.

    The digest (sha256 of the stored bytes) goes into job fingerprints. It is cleared
    whenever the image changes. Where the images are untrusted or may be replaced behind
    the row's back, ``image_sha256()`` fills it in on first use, reading and validating
    the file by content. Where they are the shop's own, checked when uploaded
    (``DIGEST_ON_SAVE``), saving a new image stores the digest of its bytes, without
    decoding it: asking for a try-on then reads no file.
    """

    DIGEST_ON_SAVE: ClassVar[bool] = False

    image_digest = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        image = self.image  # type: ignore[attr-defined]
        loaded = getattr(self, "_loaded_image_name", None)
        if not image or not image._committed or image.name != loaded:
            self.image_digest = ""
            if image and self.DIGEST_ON_SAVE:
                self.image_digest = self._stored_digest()
        if image and image._committed and not getattr(self, "image_width", 1):
            # Django leaves the dimensions empty when the file was saved from a nameless
            # ContentFile; empty dimensions make *every* load of the row open the image in
            # storage (ImageField's post_init), so a job couldn't even be loaded while the
            # storage is down. Read them once, now.
            self._meta.get_field("image").update_dimension_fields(self, force=True)  # type: ignore[union-attr]
        super().save(*args, **kwargs)
        self._loaded_image_name = image.name

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any, *args: Any, **kwargs: Any) -> Any:
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        instance._loaded_image_name = instance.__dict__.get("image")
        return instance

    def image_sha256(self) -> str:
        """The digest of the current image (validated by content the first time, unless
        ``DIGEST_ON_SAVE``).

        Raises ``ValidationError`` when the stored file is not an acceptable image.
        """
        if not self.image_digest:
            from .imaging import digest_of, validate_image

            with self.image.open("rb") as handle:  # type: ignore[attr-defined]
                self.image_digest = (
                    digest_of(handle) if self.DIGEST_ON_SAVE else validate_image(handle).digest
                )
            type(self).objects.filter(pk=self.pk).update(image_digest=self.image_digest)  # type: ignore[attr-defined]
        return self.image_digest

    def _stored_digest(self) -> str:
        """The sha256 of the image's bytes (the upload's, or the stored file's), not decoded;
        "" if the file can't be read."""
        from .imaging import digest_of

        image = self.image  # type: ignore[attr-defined]
        try:
            if not image._committed:
                return digest_of(image.file)
            with image.open("rb") as handle:
                return digest_of(handle)
        except OSError:
            return ""


class GarmentQuerySet(models.QuerySet["Garment"]):
    def for_product(self, product: models.Model) -> GarmentQuerySet:
        return self.filter(
            content_type=ContentType.objects.get_for_model(product), object_id=str(product.pk)
        )

    def active(self) -> GarmentQuerySet:
        return self.filter(is_active=True)


class Garment(DigestedImage):
    """A piece of clothing of one of the shop's products (any model, no change to it)."""

    DIGEST_ON_SAVE = True  # the shop's own images, checked when uploaded

    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, verbose_name=_("product type")
    )
    object_id = models.CharField(_("product id"), max_length=64)
    product = GenericForeignKey("content_type", "object_id")

    name = models.CharField(_("name"), max_length=200, blank=True)
    image = models.ImageField(
        _("image"),
        storage=get_storage,
        upload_to=upload_to("garments"),
        blank=True,
        width_field="image_width",
        height_field="image_height",
        help_text=_("A flat or mannequin photo of the garment on a plain background."),
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("Optional, in English: helps some providers (e.g. 'red silk blouse')."),
    )
    prompt = models.TextField(
        _("prompt"),
        blank=True,
        help_text=_(
            "For prompt-based providers: the garment described in English, used when there is no image."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GarmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("garment")
        verbose_name_plural = _("garments")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="tryon_garment_product")]

    def __str__(self) -> str:
        return self.name or f"{self.get_category_display()} #{self.pk}"

    def clean(self) -> None:
        if not self.image and not self.prompt:
            raise ValidationError(_("A garment needs an image or a prompt."))


class ModelPhotoQuerySet(models.QuerySet["ModelPhoto"]):
    def suiting(self, category: str) -> ModelPhotoQuerySet:
        return self.filter(is_active=True, categories__contains=category)


class ModelPhoto(DigestedImage):
    """A merchant's photo of a person wearing the shop's garments in generated pictures."""

    name = models.CharField(_("name"), max_length=200)
    image = models.ImageField(
        _("image"),
        storage=get_storage,
        upload_to=upload_to("models"),
        width_field="image_width",
        height_field="image_height",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # Comma-separated Category values; the names are never substrings of each other.
    categories = models.CharField(
        _("suits categories"),
        max_length=100,
        default=",".join(Category.values),
        help_text=_(
            "The garment categories this photo suits (e.g. a half-body shot: upper body only)."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ModelPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("model photo")
        verbose_name_plural = _("model photos")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def category_list(self) -> list[str]:
        return [c for c in self.categories.split(",") if c]

    def suits(self, category: str) -> bool:
        return category in self.category_list


class TryOnBatch(models.Model):
    """Jobs a merchant started together, followed on one progress page."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    provider = models.CharField(_("provider"), max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("try-on batch")
        verbose_name_plural = _("try-on batches")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Batch #{self.pk}"


class ShopperPhotoQuerySet(models.QuerySet["ShopperPhoto"]):
    def live(self, now: Any = None) -> ShopperPhotoQuerySet:
        """Photos not past their retention time (``expires_at``)."""
        return self.filter(expires_at__gt=now or timezone.now())

    def expired(self, now: Any = None) -> ShopperPhotoQuerySet:
        return self.filter(expires_at__lte=now or timezone.now())


class ShopperPhoto(DigestedImage):
    """A shopper's own photo, stored once for the visit and used by every try-on they make.

    Owned like jobs (``owner``: the hash of the session's secret); private storage; the
    consent given with the upload covers every try-on made from it. Deleting it deletes
    every job made from it (``TryOnJob.shopper_photo`` cascades), results included. Its
    thumbnail is stored beside it (``thumbnail_name``) and deleted with it.
    """

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    owner = models.CharField(max_length=64, db_index=True, editable=False)
    image = models.ImageField(
        _("shopper photo"),
        storage=get_private_storage,
        upload_to=upload_to("people"),
        width_field="image_width",
        height_field="image_height",
    )
    image_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    image_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    consent_version = models.CharField(max_length=32, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("delete after"), db_index=True)

    objects = ShopperPhotoQuerySet.as_manager()

    class Meta:
        verbose_name = _("shopper photo")
        verbose_name_plural = _("shopper photos")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "created_at"], name="tryon_photo_owner")]

    def __str__(self) -> str:
        return f"Shopper photo #{self.pk}"

    @property
    def thumbnail_name(self) -> str:
        """Its thumbnail's name in the private storage, beside it ("Use my photo")."""
        name = str(self.image.name or "")
        stem, dot, _ = name.rpartition(".")
        return f"{stem}-thumb.jpg" if dot else ""


class TryOnJobQuerySet(models.QuerySet["TryOnJob"]):
    def active(self) -> TryOnJobQuerySet:
        return self.filter(status__in=ACTIVE_STATUSES)

    def unleased(self, now: Any) -> TryOnJobQuerySet:
        """Jobs that no worker holds at ``now`` (never leased, released, or lease run out)."""
        return self.filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))

    def due(self, now: Any = None) -> TryOnJobQuerySet:
        """Active jobs whose next step is due and that no worker holds."""
        now = now or timezone.now()
        return self.active().filter(next_check_at__lte=now).unleased(now)

    def live(self, now: Any = None) -> TryOnJobQuerySet:
        """Jobs not past their retention time: every lookup starts here.

        An expired job is gone to everyone as soon as ``expires_at`` passes, whether or
        not ``tryon_cleanup`` has deleted its row and files yet.
        """
        return self.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now()))

    def expired(self, now: Any = None) -> TryOnJobQuerySet:
        """The complement of ``live()``: what ``tryon_cleanup`` deletes."""
        return self.filter(expires_at__lte=now or timezone.now())

    def reusable_by(self, owner: str) -> TryOnJobQuerySet:
        """Live successes whose result a request by ``owner`` may copy for free.

        Results of the shop's own jobs (admin, API, commands) are shared; a shopper's
        result is reused only for that same shopper (``owner`` is the hash of their
        session's secret; "" for the shop), so that nobody learns from a free, instant
        result that someone else uploaded the same photo.
        """
        shared = ~Q(source=Source.SHOPPER)
        if owner:
            shared |= Q(source=Source.SHOPPER, owner=owner)
        return self.live().filter(shared, status=Status.SUCCEEDED).exclude(result="")

    def featured_for(self, product: models.Model) -> TryOnJobQuerySet:
        return (
            self.live()
            .filter(
                status=Status.SUCCEEDED,
                is_featured=True,
                garment__content_type=ContentType.objects.get_for_model(product),
                garment__object_id=str(product.pk),
                garment__is_active=True,
            )
            .order_by("featured_order", "-finished_at")
        )


class TryOnJob(models.Model):
    """One try-on: a person wearing a garment, generated by one provider alias."""

    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)

    # What is tried on.
    garment = models.ForeignKey(
        Garment,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("garment"),
        db_index=False,  # tryon_job_gallery leads with it
    )
    prompt = models.TextField(_("prompt"), blank=True)
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    model_photo = models.ForeignKey(
        ModelPhoto,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        verbose_name=_("model photo"),
    )
    # A shopper's photo of the visit, shared by their jobs (deleting it deletes them).
    shopper_photo = models.ForeignKey(
        ShopperPhoto,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("shopper photo"),
    )
    # An uploaded photo of this job alone (API callers; shopper jobs before ShopperPhoto).
    person_image = models.ImageField(
        _("shopper photo"),
        storage=get_private_storage,
        upload_to=upload_to("people"),
        blank=True,
    )
    options = models.JSONField(_("options"), default=dict, blank=True)
    fingerprint = models.CharField(max_length=64, editable=False)  # indexed: tryon_job_reuse

    # Where it runs.
    provider = models.CharField(_("provider"), max_length=64)
    provider_job_id = models.CharField(_("provider job id"), max_length=200, blank=True)
    provider_data = models.JSONField(default=dict, blank=True, editable=False)
    provider_history = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=_("Aliases this job left through failover, with the reason."),
    )

    # How it went.
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    error_code = models.CharField(_("error code"), max_length=64, blank=True)
    error_message = models.TextField(_("error"), blank=True)
    provider_error_code = models.CharField(_("provider error code"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("submissions"), default=0)
    transient_errors = models.PositiveSmallIntegerField(default=0)
    estimated_credits = models.PositiveIntegerField(default=0)
    credits_charged = models.PositiveIntegerField(_("credits"), default=0)

    # Every job's files are private (TRYON["PRIVATE_STORAGE"]): a picture of a person.
    result = models.ImageField(
        _("result"), storage=get_private_storage, upload_to=upload_to("results"), blank=True
    )
    mask = models.ImageField(storage=get_private_storage, upload_to=upload_to("masks"), blank=True)
    # An outfit that takes several calls (a provider that puts on fewer garments per call than
    # it has): the picture the next call starts from, and how many garments it already wears.
    outfit_image = models.ImageField(
        storage=get_private_storage, upload_to=upload_to("results"), blank=True, editable=False
    )
    outfit_done = models.PositiveSmallIntegerField(default=0, editable=False)
    outfit_size = models.PositiveSmallIntegerField(_("garments"), default=1, editable=False)

    # Who and why.
    source = models.CharField(
        _("source"), max_length=16, choices=Source.choices, default=Source.API
    )
    batch = models.ForeignKey(
        TryOnBatch,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="jobs",
        db_index=False,  # tryon_job_batch leads with it
    )
    retry_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="retries",
    )
    reused_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reuses",
    )
    # Shopper ownership: hash of the session's owner secret; never the secret itself.
    owner = models.CharField(max_length=64, blank=True, editable=False)  # indexed: tryon_job_owner
    consent_version = models.CharField(max_length=32, blank=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("delete after"), null=True, blank=True, db_index=True)

    is_featured = models.BooleanField(_("featured"), default=False)
    featured_order = models.PositiveSmallIntegerField(_("order"), default=0)

    # Pipeline bookkeeping: when to look at the job next, and who holds it now.
    next_check_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=32, blank=True, editable=False)
    deadline_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(_("created"), default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    result_ready_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TryOnJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("try-on job")
        verbose_name_plural = _("try-on jobs")
        ordering = ["-created_at"]
        # Every write that moves a job (status, next_check_at) updates each index of the
        # table, so there is one per lookup and no more: a column that leads a composite
        # index has none of its own, and exact-match strings no LIKE twin (Postgres adds
        # one for `db_index=True`).
        indexes = [
            models.Index(fields=["status", "next_check_at"], name="tryon_job_due"),
            models.Index(fields=["provider", "status", "created_at"], name="tryon_job_alias_queue"),
            models.Index(fields=["fingerprint", "status"], name="tryon_job_reuse"),
            models.Index(fields=["created_at"], name="tryon_job_created"),
            models.Index(fields=["garment", "is_featured", "status"], name="tryon_job_gallery"),
            models.Index(fields=["batch", "status"], name="tryon_job_batch"),
            models.Index(fields=["owner"], name="tryon_job_owner"),
        ]
        permissions = [
            ("generate_tryonjob", _("Can generate try-ons")),
            ("view_shopper_photos", _("Can see shoppers' photos")),
        ]

    def __str__(self) -> str:
        return f"Try-on #{self.pk} ({self.status})"

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL_STATUSES

    def outfit_garments(self) -> list[Garment]:
        """Every garment this job puts on, in order: ``garment``, then its outfit parts."""
        first = [self.garment] if self.garment is not None else []
        if self.outfit_size <= 1:
            return first
        parts = OutfitPart.objects.filter(job=self).select_related("garment")
        return [*first, *(part.garment for part in parts)]

    @property
    def person_file(self) -> Any:
        """The person image: the model photo's, the visit's shopper photo, or the upload."""
        if self.model_photo_id and self.model_photo and self.model_photo.image:
            return self.model_photo.image
        if self.shopper_photo_id and self.shopper_photo:
            return self.shopper_photo.image
        return self.person_image


class OutfitPart(models.Model):
    """A garment a job puts on besides its ``garment``: an outfit is one job, several garments."""

    job = models.ForeignKey(TryOnJob, on_delete=models.CASCADE, related_name="outfit_parts")
    garment = models.ForeignKey(
        Garment, on_delete=models.CASCADE, related_name="outfit_parts", verbose_name=_("garment")
    )
    position = models.PositiveSmallIntegerField(default=1)

    objects: ClassVar[models.Manager[OutfitPart]] = models.Manager()

    class Meta:
        verbose_name = _("outfit garment")
        verbose_name_plural = _("outfit garments")
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="tryon_outfit_part_position")
        ]

    def __str__(self) -> str:
        return f"{self.garment} ({self.position})"


class TryOnOverview(TryOnJob):
    """The overview page's entry in the admin's app lists: a proxy, no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("try-on overview")
        verbose_name_plural = _("try-on overview")
        default_permissions = ()  # seeing it is seeing the jobs: `view_tryonjob`


class ProviderState(models.Model):
    """Per-alias state shared by every worker: the pause after an account error."""

    alias = models.CharField(max_length=64, primary_key=True)
    paused_at = models.DateTimeField(null=True, blank=True)
    pause_code = models.CharField(max_length=64, blank=True)
    pause_reason = models.TextField(blank=True)

    class Meta:
        verbose_name = _("provider state")
        verbose_name_plural = _("provider states")

    def __str__(self) -> str:
        return self.alias

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class Lease(models.Model):
    """A named lock held until a time, taken by conditional UPDATE (works on every database)."""

    name = models.CharField(max_length=64, primary_key=True)
    owner = models.CharField(max_length=32, blank=True)
    until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class CreditBudget(models.Model):
    """Credits committed on one day, in one scope (``all`` jobs, or ``shopper`` jobs only).

    The daily budgets are enforced on this row, not by summing jobs: taking credits is one
    conditional UPDATE of ``committed`` (see ``django_tryon.budget``), so two requests can
    never both see room for the last credit, on any database.
    """

    day = models.DateField()
    scope = models.CharField(max_length=16)
    committed = models.BigIntegerField(default=0)

    objects: ClassVar[models.Manager[CreditBudget]] = models.Manager()

    class Meta:
        verbose_name = _("daily credit budget")
        verbose_name_plural = _("daily credit budgets")
        constraints = [
            models.UniqueConstraint(fields=["day", "scope"], name="tryon_budget_day_scope")
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}: {self.committed}"


class RateWindow(models.Model):
    """The hits of one client (a session owner or an address, hashed) in one scope of
    ``RATE_LIMITS``, in one fixed window.

    A hit is one conditional UPDATE of ``hits`` (see ``django_tryon.rate_limits``), so the
    limits hold exactly across processes, whatever cache the site uses.
    """

    scope = models.CharField(max_length=16)
    key = models.CharField(max_length=64)
    window_start = models.DateTimeField()
    hits = models.PositiveIntegerField(default=0)

    objects: ClassVar[models.Manager[RateWindow]] = models.Manager()

    class Meta:
        verbose_name = _("rate limit window")
        verbose_name_plural = _("rate limit windows")
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "key", "window_start"], name="tryon_rate_window"
            )
        ]
        indexes = [models.Index(fields=["window_start"], name="tryon_rate_window_start")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key[:12]} {self.window_start:%Y-%m-%d %H:%M}: {self.hits}"


# Conversion report: what shoppers did around try-on products, and what they ordered.
# Pseudonymous: the owner hash of a session (``services.owners``), never a user, an address
# or a photo; every row expires (``expires_at``) with the purge of shopper data.


class EventKind(models.TextChoices):
    VIEW = "view", _("Viewed")
    OPEN = "open", _("Opened the widget")
    RESULT = "result", _("Got a result")
    ADD_TO_CART = "add_to_cart", _("Added to cart")


DAILY_EVENT_KINDS = (EventKind.VIEW, EventKind.OPEN)  # counted once per owner, product, day


class ShopperEvent(models.Model):
    """One thing a shopper's widget reported about a product (see ``services.conversions``)."""

    kind = models.CharField(_("event"), max_length=16, choices=EventKind.choices)
    owner = models.CharField(max_length=64, editable=False)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("product type")
    )
    object_id = models.CharField(_("product id"), max_length=64)
    product = GenericForeignKey("content_type", "object_id")
    job = models.ForeignKey(
        TryOnJob, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # For a result: the credits its job cost, kept after the job itself is deleted.
    credits = models.PositiveIntegerField(default=0)
    day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    objects: ClassVar[models.Manager[ShopperEvent]] = models.Manager()

    class Meta:
        verbose_name = _("shopper event")
        verbose_name_plural = _("shopper events")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "owner", "content_type", "object_id", "day"],
                condition=Q(kind__in=DAILY_EVENT_KINDS),
                name="tryon_event_daily",
            ),
            models.UniqueConstraint(
                fields=["job"], condition=Q(kind=EventKind.RESULT), name="tryon_event_result"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at", "kind"], name="tryon_event_created"),
            models.Index(
                fields=["owner", "content_type", "object_id", "kind"], name="tryon_event_owner"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} {self.day}"


class RecordedOrder(models.Model):
    """An order the shop reported with ``record_order``, attributed to a session's owner."""

    owner = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    reference = models.CharField(_("reference"), max_length=128, blank=True)
    total = models.DecimalField(_("total"), max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    expires_at = models.DateTimeField(db_index=True)

    objects: ClassVar[models.Manager[RecordedOrder]] = models.Manager()

    class Meta:
        verbose_name = _("recorded order")
        verbose_name_plural = _("recorded orders")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference or f"Order #{self.pk}"


class RecordedOrderLine(models.Model):
    """A product of a recorded order. Its order's owner and time are copied onto it (lines
    never change), so the report finds a shopper's orders of a product by one index."""

    order = models.ForeignKey(RecordedOrder, on_delete=models.CASCADE, related_name="lines")
    owner = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.CASCADE, related_name="+", verbose_name=_("product type")
    )
    object_id = models.CharField(_("product id"), max_length=64)
    product = GenericForeignKey("content_type", "object_id")
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2)

    objects: ClassVar[models.Manager[RecordedOrderLine]] = models.Manager()

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        indexes = [
            models.Index(fields=["content_type", "object_id"], name="tryon_order_line_product"),
            models.Index(
                fields=["owner", "content_type", "object_id", "created_at"],
                name="tryon_order_line_owner",
            ),
            models.Index(fields=["created_at"], name="tryon_order_line_created"),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.object_id}"


class ConversionReport(ShopperEvent):
    """The conversion report's entry in the admin's app lists: a proxy, no table of its own."""

    class Meta:
        proxy = True
        verbose_name = _("conversion report")
        verbose_name_plural = _("conversion report")
        default_permissions = ()  # seeing it is seeing the jobs: `view_tryonjob`
