"""The shopper JSON API. Thin: parsing and HTTP here, every decision in the services.

Every answer is JSON; every refusal is ``{"code": ..., "message": ...}`` with a 4xx status.
Mutating endpoints check CSRF themselves (not through the middleware) so that a failure is
a JSON 403 the widget can show, and so that an oversized upload is refused from its
``Content-Length`` before the middleware would read the body to look for a token.
"""

from __future__ import annotations

import functools
import logging
import mimetypes
from collections.abc import Callable
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFilesSent
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    UnreadablePostError,
)
from django.http.multipartparser import MultiPartParserError
from django.http.response import HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from ..conf import tryon_settings
from ..errors import ErrorCode, ShopperError
from ..lookups import parse_int
from ..services import conversions, gallery, looks, owners, shopper, visit
from .openapi import served_document
from .uploads import LimitedUploadHandler, upload_too_large

logger = logging.getLogger("django_tryon.api")

View = Callable[..., HttpResponseBase]
# Room for the form fields and multipart framing around the photo itself.
MULTIPART_SLACK = 256 * 1024


def error_response(error: ShopperError) -> JsonResponse:
    response = JsonResponse({"code": error.code, "message": error.message}, status=error.status)
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    patch_cache_control(response, private=True, no_store=True)
    return response


def _csrf_failed(request: HttpRequest) -> bool:
    middleware = CsrfViewMiddleware(lambda r: HttpResponse())
    return middleware.process_view(request, None, (), {}) is not None  # type: ignore[arg-type]


def api_view(methods: tuple[str, ...], *, csrf: bool = False) -> Callable[[View], View]:
    """JSON errors for everything: wrong method, CSRF, malformed bodies, refusals, bugs."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    response = error_response(ShopperError(ErrorCode.METHOD_NOT_ALLOWED))
                    response["Allow"] = ", ".join(methods)
                    return response
                if csrf and request.method not in ("GET", "HEAD") and _csrf_failed(request):
                    raise ShopperError(ErrorCode.CSRF_FAILED)
                answer = view(request, *args, **kwargs)
                owners.set_owner_cookie(request, answer)
                return answer
            except ShopperError as error:
                return error_response(error)
            except RequestDataTooBig:
                return error_response(ShopperError(ErrorCode.REQUEST_TOO_LARGE))
            except (
                MultiPartParserError,
                UnreadablePostError,
                TooManyFilesSent,
                SuspiciousOperation,
            ):
                return error_response(ShopperError(ErrorCode.BAD_REQUEST))
            except Exception:
                logger.exception("Shopper API error in %s", view.__name__)
                return error_response(ShopperError(ErrorCode.SERVER_ERROR))

        return csrf_exempt(wrapper)

    return decorate


def _has_nul(request: HttpRequest) -> bool:
    """A NUL byte in a form field: no text a person types, and PostgreSQL can't store it."""
    return any("\x00" in value for _, values in request.POST.lists() for value in values)


def _too_large_error() -> ShopperError:
    limit = tryon_settings.MAX_UPLOAD_BYTES
    return ShopperError(
        ErrorCode.FILE_TOO_LARGE,
        _("The file is too large; the limit is %(limit)d MB.") % {"limit": limit // 2**20},
    )


@csrf_exempt
def create_job(request: HttpRequest) -> HttpResponseBase:
    """POST multipart ``garment``, ``photo``, ``consent`` (+ ``consent_version``, ``prompt``)."""
    if request.method == "POST":
        # Refuse oversized bodies unread, before the CSRF check would parse them.
        length = parse_int(request.META.get("CONTENT_LENGTH") or "0")
        if length is not None and length > tryon_settings.MAX_UPLOAD_BYTES + MULTIPART_SLACK:
            return error_response(_too_large_error())
        request.upload_handlers.insert(
            0, LimitedUploadHandler(request, tryon_settings.MAX_UPLOAD_BYTES)
        )
    return _create_job(request)


@api_view(("POST",), csrf=True)
def _create_job(request: HttpRequest) -> HttpResponse:
    photo = request.FILES.get("photo")
    if upload_too_large(request):
        raise _too_large_error()
    if _has_nul(request):
        raise ShopperError(ErrorCode.BAD_REQUEST)
    job = shopper.create_shopper_job(
        request, request.POST, photo.file if photo is not None else None
    )
    payload = shopper.status_payload(job)
    if job.shopper_photo is not None:  # the visit's photo: later try-ons may reuse it
        payload["photo"] = visit.photo_payload(job.shopper_photo)
    response = JsonResponse(payload, status=201)
    response["Location"] = payload["url"]
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD", "DELETE"), csrf=True)
def job(request: HttpRequest, token: str) -> HttpResponse:
    """GET: the status (one query with the owner cookie, else two). DELETE: delete it."""
    if request.method == "DELETE":
        shopper.delete_shopper_job(request, token)
        response = HttpResponse(status=204)
        patch_cache_control(response, private=True, no_store=True)
        return response
    found = shopper.get_status_job(request, token)
    response = JsonResponse(shopper.status_payload(found, url=request.path))
    # Owner-only (private; the cookies vary it) and changing while it runs.
    response["Cache-Control"] = (
        "private, max-age=60" if found.is_terminal else "private, no-cache, max-age=0"
    )
    patch_vary_headers(response, ("Cookie",))  # said here: the owner cookie spares the session
    return response


@api_view(("POST",), csrf=True)
def complete_look(request: HttpRequest, token: str) -> HttpResponse:
    """POST ``garment``: a new job wearing job ``token``'s garments and this one."""
    if _has_nul(request):
        raise ShopperError(ErrorCode.BAD_REQUEST)
    job = looks.complete_look(request, token, request.POST)
    payload = shopper.status_payload(job)
    response = JsonResponse(payload, status=201)
    response["Location"] = payload["url"]
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("POST",), csrf=True)
def cancel_job(request: HttpRequest, token: str) -> HttpResponse:
    found = shopper.cancel_shopper_job(request, token)
    response = JsonResponse(shopper.status_payload(found))
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD"))
def job_result(request: HttpRequest, token: str) -> HttpResponseBase:
    """The result image, for its owner only: a signed storage URL, or streamed from storage."""
    found = shopper.get_result_job(request, token)
    download = request.GET.get("download") == "1"
    shopper.result_opened(request, found, download=download)
    response: HttpResponseBase
    name = str(found.result.name)
    signed = shopper.signed_result_url(name, download=download)
    if signed:
        response = HttpResponseRedirect(signed)
    else:
        content_type = mimetypes.guess_type(name)[0] or "image/jpeg"
        extension = name.rsplit(".", 1)[-1]
        response = FileResponse(
            shopper.open_result(found),
            content_type=content_type,
            as_attachment=download,
            filename=f"try-on.{extension}",
        )
        response["X-Content-Type-Options"] = "nosniff"
    # Never cached: "Delete my photo now" must leave no copy behind, in caches either.
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD"))
def visit_state(request: HttpRequest) -> HttpResponse:
    """The visit's photo and this garment's (``?garment=``) latest result, for the widget."""
    response = JsonResponse(visit.visit_payload(request, request.GET.get("garment")))
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD", "DELETE"), csrf=True)
def visit_photo(request: HttpRequest, token: str) -> HttpResponseBase:
    """GET: the visit's photo (owner only). DELETE: it and every result made from it."""
    response: HttpResponseBase
    if request.method == "DELETE":
        visit.delete_visit_photo(request, token)
        response = HttpResponse(status=204)
    else:
        photo = shopper.photos.get_visit_photo(request, token)
        response = _private_picture(str(photo.image.name))
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD"))
def visit_photo_thumbnail(request: HttpRequest, token: str) -> HttpResponseBase:
    """The visit's photo as a small thumbnail ("Use my photo"): owner only, as the photo."""
    photo = shopper.photos.get_visit_photo(request, token)
    response: HttpResponseBase
    if name := visit.stored_thumbnail(photo):
        response = _private_picture(name)
    else:
        response = HttpResponse(visit.made_thumbnail(photo), content_type="image/jpeg")
        response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True, no_store=True)
    return response


def _private_picture(name: str) -> HttpResponseBase:
    """A JPEG of the private storage: a signed URL where the storage has them, else streamed."""
    signed = shopper.signed_result_url(name)
    if signed:
        return HttpResponseRedirect(signed)
    response = FileResponse(visit.open_file(name), content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    return response


@api_view(("GET", "HEAD"))
def gallery_image(request: HttpRequest, token: str, width: int) -> HttpResponseBase:
    # A token no job can have (e.g. with a NUL byte, which PostgreSQL refuses) isn't looked up.
    image = gallery.gallery_image(token, width, request) if shopper.TOKEN_RE.match(token) else None
    if image is None:
        raise ShopperError(ErrorCode.NOT_FOUND, _("This picture doesn't exist."))
    # Shared caches may keep it, but must ask again each time (a 304 costs no image work):
    # a product unpublished or a result unfeatured is gone at once, not an hour later.
    response = get_conditional_response(request, etag=image.etag) or HttpResponse(
        image.load(), content_type="image/jpeg"
    )
    response["ETag"] = image.etag
    patch_cache_control(response, public=True, no_cache=True, max_age=0)
    return response


@api_view(("POST",), csrf=True)
def shopper_events(request: HttpRequest) -> HttpResponse:
    """POST JSON ``{"events": [...]}``: what the widget saw the shopper do (204)."""
    conversions.accept_events(request, request.body)
    response = HttpResponse(status=204)
    patch_cache_control(response, private=True, no_store=True)
    return response


@api_view(("GET", "HEAD"))
def openapi_document(request: HttpRequest) -> HttpResponse:
    """This API's OpenAPI 3.1 document, for headless shops and API tools."""
    response = JsonResponse(served_document(), json_dumps_params={"indent": 2})
    patch_cache_control(response, public=True, max_age=3600)
    return response
