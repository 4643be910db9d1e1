"""Shoppers' try-ons: ownership by session, rate limits, consent, lookup and status.

A shopper is identified by a random *owner secret* kept in their session (``owners``); jobs
store only its hash, so a database leak doesn't let anyone act as a shopper, and every
lookup is by (token, owner): another session's token is simply "not found". Every refusal is a
``ShopperError`` with a stable code and a translated message, raised before anything is
stored or any credit is spent.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext
from PIL import Image

from .. import rate_limits, signals
from ..adapters import get_adapter
from ..conf import tryon_settings
from ..errors import (
    STATUS_FOR_CODE,  # noqa: F401  (importable from here, as before)
    ErrorCode,
    ShopperError,
    message_for,
)
from ..lookups import parse_id
from ..models import Garment, GarmentQuerySet, ShopperPhoto, Source, Status, TryOnJob
from ..providers import UnknownProvider, get_provider
from ..storage import get_private_storage, private_storage
from . import owners, photos
from .jobs import _request_tryon, cancel_job, delete_job
from .owners import get_owner

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")
MAX_PROMPT_LENGTH = 500

# The default consent text, marked so makemessages finds it (conf.py keeps plain strings).
DEFAULT_CONSENT_TEXT = gettext_noop(
    "I agree that my photo is sent to our try-on provider to create this picture, "
    "and that it is deleted within 24 hours."
)

# Seconds a shopper is asked to wait after "server_busy".
BUSY_RETRY_AFTER = 5
# Job failures a shopper can act on; anything else gets a generic apology.
SHOPPER_FAILURES = (
    ErrorCode.NO_PERSON,
    ErrorCode.HARMFUL_CONTENT,
    ErrorCode.INVALID_INPUT,
    ErrorCode.CANCELED,
    ErrorCode.DEADLINE_EXCEEDED,
    ErrorCode.PROVIDER_PAUSED,
)

# Columns the status endpoint reads: one narrow query.
STATUS_FIELDS = (
    "token",
    "owner",
    "source",
    "garment",
    "status",
    "provider",
    "error_code",
    "result",
    "created_at",
    "submitted_at",
    "result_ready_at",
    "finished_at",
    "expires_at",
    "outfit_size",
    "outfit_done",
)


def not_found() -> ShopperError:
    return ShopperError(ErrorCode.NOT_FOUND)


# A shopper's own jobs (who the owner is: owners.py) ------------------------------------


def get_shopper_job(request: HttpRequest, token: str, *, only: tuple[str, ...] = ()) -> TryOnJob:
    """The session's own job with this token; anyone else's (or none) is ``not_found``."""
    owner = get_owner(request)
    if not owner or not TOKEN_RE.match(token or ""):
        raise not_found()
    jobs = TryOnJob.objects.live().filter(token=token, owner=owner, source=Source.SHOPPER)
    if only:
        jobs = jobs.only(*only)
    job = jobs.first()
    if job is None:
        raise not_found()
    return job


def get_status_job(request: HttpRequest, token: str) -> TryOnJob:
    """``get_shopper_job`` for the status endpoint, which widgets poll every second.

    Same rules, one prepared query (see ``_status_row``): building an ORM query costs
    more than the database does here, and this endpoint must stay cheap under load. With
    the owner cookie and database sessions, that one query also checks that the session
    the cookie names is still alive; otherwise the session is read first.
    """
    if not TOKEN_RE.match(token or ""):
        raise not_found()
    owner, session_key = owners.cookie_owner(request)
    job = _status_row(token, owner, session_key=session_key) if owner else None
    if job is None:
        # No cookie, a stale one, or sessions that aren't rows: the session decides.
        owner = get_owner(request)
        job = _status_row(token, owner) if owner else None
    if job is None:
        raise not_found()
    if job.status == Status.SUCCEEDED:  # from now on it offers the result: the product shows
        require_available(job, request)
    return job


def get_result_job(request: HttpRequest, token: str) -> TryOnJob:
    """The session's own job with a result to show, of a product the widget still offers."""
    job = get_shopper_job(request, token)
    if not job.result:
        raise not_found()
    require_available(job, request)
    return job


def require_available(job: TryOnJob, request: HttpRequest | None = None) -> None:
    """Refuse to show a job's product unless the widget would offer it now.

    Asked where a job shows its product (the result, and the status once it offers it),
    not to cancel or delete: stopping and erasing a shopper's own data is always allowed.
    A job described in words (prompt mode) has no garment, so no product to ask about.
    """
    if job.garment_id is None:
        return
    garment = Garment.objects.filter(pk=job.garment_id).first()
    if (
        garment is None
        or not garment.is_active
        or not product_is_available(garment.product, request)
    ):
        raise unavailable()


# Per database alias and session check: the SQL, the selected fields and, per field, its
# column expression and the converters the ORM would apply (e.g. SQLite's text to aware
# datetimes), and how to make the session check's parameters. Built once.
_STATUS_QUERIES: dict[tuple[str, bool, str], tuple[str, list[Any], list[Any], Any]] = {}


def _status_query(alias: str, *, live_session: bool) -> tuple[str, list[Any], list[Any], Any]:
    key = (alias, live_session, settings.SESSION_ENGINE)
    prepared = _STATUS_QUERIES.get(key)
    if prepared is None:
        connection = connections[alias]
        meta = TryOnJob._meta
        wanted = {"id", *STATUS_FIELDS}
        fields = [f for f in meta.concrete_fields if f.name in wanted]  # from_db wants this order
        columns = {f.name: str(f.column) for f in meta.concrete_fields}
        quote = connection.ops.quote_name
        where = " AND ".join(f"{quote(columns[n])} = %s" for n in ("token", "owner", "source"))
        # TryOnJobQuerySet.live(), written out: an expired job is not found.
        expires = quote(columns["expires_at"])
        where += f" AND ({expires} IS NULL OR {expires} > %s)"
        clause = owners.live_session_clause(alias) if live_session else None
        if clause is not None:
            where += " AND " + clause[0]
        # Only quoted names from the model's meta go into the text; values are parameters.
        sql = (
            f"SELECT {', '.join(quote(columns[f.name]) for f in fields)} "  # noqa: S608
            f"FROM {quote(meta.db_table)} WHERE {where}"
        )
        conversions = []
        for field in fields:
            column = field.get_col(meta.db_table)
            converters = connection.ops.get_db_converters(column) + field.get_db_converters(
                connection
            )
            conversions.append((column, converters))
        session_params = clause[1] if clause is not None else None
        prepared = _STATUS_QUERIES[key] = (sql, fields, conversions, session_params)
    return prepared


def _status_row(token: str, owner: str, *, session_key: str = "") -> TryOnJob | None:
    """The owner's job; with ``session_key``, only while that session is alive.

    None also when the session's liveness can't be checked in this query (sessions that
    aren't rows of a table here): the caller reads the session then.
    """
    alias = router.db_for_read(TryOnJob)
    sql, fields, conversions, session_params = _status_query(alias, live_session=bool(session_key))
    if session_key and session_params is None:
        return None
    connection = connections[alias]
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = [token, owner, Source.SHOPPER, now]
    if session_key:
        params += session_params(session_key)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    values = []
    for value, (column, converters) in zip(row, conversions, strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        values.append(value)
    return TryOnJob.from_db(alias, [f.attname for f in fields], values)


def session_jobs(
    request: HttpRequest, product: models.Model | None = None
) -> models.QuerySet[TryOnJob]:
    """This session's try-ons (optionally of one product): e.g. to attribute an add-to-cart.

    ``session_jobs(request, product).filter(status="succeeded").exists()`` in the shop's
    add-to-cart view tells whether this shopper saw themselves wearing the product.
    """
    owner = get_owner(request)
    jobs = (
        TryOnJob.objects.live().filter(owner=owner, source=Source.SHOPPER)
        if owner
        else TryOnJob.objects.none()
    )
    if product is not None:
        garments = Garment.objects.for_product(product).values("pk")
        jobs = jobs.filter(garment__in=garments)
    return jobs


# Rate limits ----------------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address, from ``CLIENT_IP_HEADER`` behind a trusted proxy.

    A proxy appends the address it saw to X-Forwarded-For, so the last entry is the one
    the trusted proxy vouches for; earlier ones are whatever the client claimed.
    IPv6 clients are grouped by /64, which is what one household or phone gets.
    """
    header = tryon_settings.CLIENT_IP_HEADER
    value = ""
    if header:
        key = str(header).upper().replace("-", "_")
        if key != "REMOTE_ADDR" and not key.startswith("HTTP_"):
            key = "HTTP_" + key
        value = (request.META.get(key) or "").split(",")[-1].strip()
    value = value or request.META.get("REMOTE_ADDR", "")
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return "unknown"
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def take_rate_limits(request: HttpRequest, owner: str) -> Callable[[], None]:
    """Count this upload against the session's and the IP's limits, or raise ``rate_limited``.

    Returns a function that gives the session's hit back (for uploads refused as bad
    input: a shopper fixing a dark photo shouldn't run out of tries). The IP's hit stays:
    it is what protects the server's CPU from floods of bad files. A refused upload counts
    nothing. The counts are ``RateWindow`` rows (``django_tryon.rate_limits``), exact
    across processes on any database, whatever ``TRYON["CACHE"]`` is.
    """
    hits: list[rate_limits.Hit] = []
    with transaction.atomic():  # a refusal by the IP's limit gives the session's hit back
        for scope, ident in (("SESSION", owner), ("IP", client_ip(request))):
            limit = tryon_settings.rate_limit(scope)
            if limit is None:
                continue
            hit = rate_limits.hit(scope, ident, limit)
            if not hit.allowed:
                minutes = max(1, -(-hit.retry_after // 60))
                raise ShopperError(
                    ErrorCode.RATE_LIMITED,
                    ngettext(
                        "You have made a lot of try-ons in a short time. Please try again in %(minutes)d minute.",
                        "You have made a lot of try-ons in a short time. Please try again in %(minutes)d minutes.",
                        minutes,
                    )
                    % {"minutes": minutes},
                    retry_after=hit.retry_after,
                )
            if scope == "SESSION":
                hits.append(hit)

    def refund() -> None:
        for hit in hits:
            hit.give_back()

    return refund


# Creating a job --------------------------------------------------------------------------


def product_is_available(product: Any, request: HttpRequest | None = None) -> bool:
    """Whether ``request`` (None: anyone) may try ``product`` on: the adapter decides."""
    return product is not None and get_adapter().is_available(product, request)


def product_label(product: models.Model) -> str:
    """The product as ``"app_label.model:pk"``, unambiguous when several models are products."""
    return f"{product._meta.label_lower}:{product.pk}"


def product_garments(product: models.Model) -> GarmentQuerySet:
    """The product's own active garments; a variant without any has its parent's."""
    garments = Garment.objects.for_product(product).active()
    parent = get_adapter().parent(product)
    if parent is not None and not garments.exists():
        return Garment.objects.for_product(parent).active()
    return garments


def widget_garment(product: models.Model, request: HttpRequest | None = None) -> Garment | None:
    """The garment the product page's widget tries on: its newest active one (or its parent's)."""
    if not product_is_available(product, request):
        return None
    return product_garments(product).first()


def garment_for_shopper(garment_id: Any, request: HttpRequest | None = None) -> Garment:
    pk = parse_id(str(garment_id or "").strip())
    garment = Garment.objects.filter(pk=pk).first() if pk else None
    if garment is None:
        raise ShopperError(ErrorCode.GARMENT_NOT_FOUND)
    if not garment.is_active or not product_is_available(garment.product, request):
        raise unavailable()
    return garment


def unavailable() -> ShopperError:
    return ShopperError(ErrorCode.GARMENT_UNAVAILABLE)


def consent_text() -> str:
    """The consent text in the active language (a shop's own text is used as given)."""
    text = tryon_settings.CONSENT_TEXT
    return _(text) if isinstance(text, str) else str(text)


def prompt_mode_enabled() -> bool:
    if not tryon_settings.PROMPT_MODE:
        return False
    try:
        return bool(get_provider().supports_prompt)
    except UnknownProvider:
        return False


def is_truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in ("1", "true", "on", "yes")


def validation_error_to_shopper(error: ValidationError) -> ShopperError:
    code = error.code or "invalid"
    if hasattr(error, "error_list") and error.error_list:
        code = error.error_list[0].code or code
    retry_after = BUSY_RETRY_AFTER if code == ErrorCode.SERVER_BUSY else None
    return ShopperError(code, " ".join(str(m) for m in error.messages), retry_after=retry_after)


@contextmanager
def rate_limited(request: HttpRequest, owner: str) -> Iterator[None]:
    """Count the request made in this block against the rate limits (``take_rate_limits``).

    The block's refusal of the input (a ``ValidationError``, or an image Pillow can't
    re-encode) becomes a ``ShopperError`` and gives the session's hit back.
    """
    refund = take_rate_limits(request, owner)
    try:
        yield
    except ValidationError as error:
        refund()
        raise validation_error_to_shopper(error) from None
    except (Image.DecompressionBombError, SyntaxError, ValueError):
        # Pillow's last word on an image that passed validation but can't be re-encoded.
        refund()
        raise ShopperError(ErrorCode.NOT_AN_IMAGE) from None


@contextmanager
def refusals_announced(request: HttpRequest) -> Iterator[None]:
    """Send ``shopper_request_refused`` for a ``ShopperError`` leaving the block, then re-raise."""
    try:
        yield
    except ShopperError as error:
        signals.shopper_request_refused.send(
            sender=TryOnJob, request=request, code=error.code, message=error.message
        )
        raise


def create_shopper_job(
    request: HttpRequest, data: Mapping[str, Any], photo: IO[bytes] | None
) -> TryOnJob:
    """Check a shopper's upload, then request the try-on for this session.

    ``data`` holds ``garment``, ``consent`` (and optionally ``consent_version`` as shown,
    and ``prompt`` in prompt mode); ``photo`` is the uploaded file. Cheap checks come
    first, the rate limits next, the image checks (inside ``request_tryon``) last.
    """
    with refusals_announced(request):
        garment = garment_for_shopper(data.get("garment"), request)
        version = str(tryon_settings.CONSENT_VERSION)
        # No upload but the visit's photo: the consent given with it covers this try-on.
        visit = visit_photo_for(request, data) if photo is None else None
        consented = is_truthy(data.get("consent"))
        if not consented and (visit is None or visit.consent_version != version):
            raise ShopperError(ErrorCode.CONSENT_REQUIRED)
        shown = str(data.get("consent_version") or "")
        if shown and shown != version:
            raise ShopperError(ErrorCode.CONSENT_CHANGED)
        person = visit or photo
        if person is None:
            raise ShopperError(ErrorCode.PHOTO_REQUIRED)
        prompt = str(data.get("prompt") or "").strip()
        if prompt and not prompt_mode_enabled():
            raise ShopperError(ErrorCode.PROMPT_NOT_ALLOWED)
        if len(prompt) > MAX_PROMPT_LENGTH:
            raise ShopperError(
                ErrorCode.PROMPT_TOO_LONG,
                _("Please describe the garment in at most %(max)d characters.")
                % {"max": MAX_PROMPT_LENGTH},
            )
        # Limits first, with an owner not yet in the session: a refusal creates no session.
        owner = owners.new_owner(request)
        with rate_limited(request, owner):
            job = _request_tryon(
                None if prompt else garment,
                person,
                category=garment.category,
                prompt=prompt,
                source=Source.SHOPPER,
                owner=owner,
                consent_version=version,
            )
    owners.keep_owner(request)
    signals.shopper_job_requested.send(sender=TryOnJob, job=job, request=request)
    return job


# Following a job --------------------------------------------------------------------------


def _typical_seconds(alias: str) -> float:
    try:
        return max(1.0, get_provider(alias).first_poll_after())
    except UnknownProvider:
        return 10.0


def stage_of(job: TryOnJob, now: datetime | None = None) -> str:
    """What the widget says: queued, generating, almost_done, or the final status."""
    if job.status == Status.PENDING:
        # An outfit between two calls is being made, not waiting for its turn.
        return "generating" if job.outfit_done else "queued"
    if job.status != Status.RUNNING:
        return str(job.status)
    if job.result_ready_at is not None:
        return "almost_done"
    now = now or timezone.now()
    if job.submitted_at and (now - job.submitted_at).total_seconds() >= _typical_seconds(
        job.provider
    ):
        return "almost_done"
    return "generating"


def failure_message(code: str) -> str:
    if code in SHOPPER_FAILURES:
        return message_for(code)
    return _("Sorry, something went wrong while creating your picture. Please try again later.")


def status_payload(job: TryOnJob, url: str = "") -> dict[str, Any]:
    """The JSON the widget polls. Reads only ``STATUS_FIELDS``; makes no query.

    ``url`` is the job's own URL when the caller knows it (the status view: its path).
    """
    now = timezone.now()
    stage = stage_of(job, now)
    # At most one reverse(); the other URLs are below the job's (see api/urls.py).
    job_url = url or reverse("django_tryon:shopper-job", args=[job.token])
    payload: dict[str, Any] = {
        "token": job.token,
        "status": job.status,
        "stage": stage,
        "elapsed": round(((job.finished_at or now) - job.created_at).total_seconds(), 1),
        "url": job_url,
        "cancel_url": job_url + "cancel/",
        # "Complete the look" from this job's result (POST a garment).
        "outfit_url": job_url + "outfit/",
        "garments": job.outfit_size,
        "expires_at": job.expires_at.isoformat() if job.expires_at else None,
        "result_url": None,
        "download_url": None,
        "error": None,
        # How long the widget should wait before asking again (ms); None: don't.
        "poll_after": None if job.is_terminal else (700 if stage == "almost_done" else 1000),
    }
    if job.status == Status.SUCCEEDED and job.result:
        result_url = job_url + "result/"
        payload.update(result_url=result_url, download_url=result_url + "?download=1")
    elif job.status in (Status.FAILED, Status.CANCELED):
        code = job.error_code or str(job.status)
        payload["error"] = {"code": code, "message": failure_message(code)}
    return payload


def cancel_shopper_job(request: HttpRequest, token: str) -> TryOnJob:
    """Stop a running job (closing the dialog); an ended one is left as it is."""
    job = get_shopper_job(request, token)
    if not job.is_terminal:
        cancel_job(job)
        job.refresh_from_db()
    return job


def visit_photo_for(request: HttpRequest, data: Mapping[str, Any]) -> ShopperPhoto | None:
    """The visit's photo that ``data["photo_token"]`` names (None without one)."""
    token = str(data.get("photo_token") or "").strip()
    return photos.get_visit_photo(request, token) if token else None


def delete_shopper_job(request: HttpRequest, token: str) -> None:
    """ "Delete my photo now": the job, the photo and the result, in storage too.

    A job made from the visit's photo takes that photo with it, and so every other
    result made from it (``photos.delete_photo``).
    """
    job = get_shopper_job(request, token)
    if job.shopper_photo_id is not None and job.shopper_photo is not None:
        photos.delete_photo(job.shopper_photo, request)
        return
    delete_job(job)
    signals.shopper_job_deleted.send(sender=TryOnJob, job=job, request=request)


# Serving the result -------------------------------------------------------------------------

SIGNED_URL_SECONDS = 300
_SIGNATURE_MARKERS = ("x-amz-signature=", "signature=", "x-goog-signature=", "sig=")


def signed_result_url(name: str, *, download: bool = False) -> str | None:
    """A short-lived signed storage URL for ``name``, where the storage makes them (S3...).

    None for storages whose URLs are plain (local files): those are streamed by the view,
    since a plain media URL would be public to anyone who learns it.
    """
    storage = private_storage()  # the real backend: the proxy's url() takes no parameters
    try:
        try:  # django-storages' S3: five minutes, and sent as an attachment when asked
            parameters = {"ResponseContentDisposition": 'attachment; filename="try-on.jpg"'}
            url = storage.url(  # type: ignore[call-arg]
                name, parameters=parameters if download else None, expire=SIGNED_URL_SECONDS
            )
        except TypeError:  # any other storage
            url = storage.url(name)
    except NotImplementedError:
        return None
    lowered = url.lower()
    if lowered.startswith(("https://", "http://")) and any(
        m in lowered for m in _SIGNATURE_MARKERS
    ):
        return url
    return None


def open_result(job: TryOnJob) -> IO[bytes]:
    return get_private_storage().open(str(job.result.name), "rb")


def result_opened(request: HttpRequest, job: TryOnJob, *, download: bool) -> None:
    if download:
        signals.shopper_result_downloaded.send(sender=TryOnJob, job=job, request=request)


# Retention --------------------------------------------------------------------------------


def expired_summary(now: datetime | None = None) -> tuple[int, int]:
    """(jobs, files) that ``delete_expired`` would delete now: for tryon_cleanup's report."""
    expired = TryOnJob.objects.expired(now)
    jobs = files = 0
    columns = ("person_image", "result", "mask", "outfit_image")
    for names in expired.values_list(*columns).iterator():
        jobs += 1
        files += sum(1 for name in names if name)
    files += ShopperPhoto.objects.expired(now).count()  # the visits' photos
    return jobs, files
