"""Provider callbacks. Thin: the provider verifies and reads the request, the pipeline acts.

A callback never carries state we trust: a verified event only makes the pipeline look at
the job now (it re-reads the provider's own status), so a duplicate or a late delivery is
harmless. Anything not provably from the provider gets 400 and changes nothing.
"""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from .. import pipeline
from ..providers import UnknownProvider, get_provider
from ..providers.base import WebhookRejected
from ..providers.fashn import WEBHOOK_QUERY_HEADER

logger = logging.getLogger("django_tryon.webhooks")


@csrf_exempt  # signed by the provider instead
@require_POST
def provider_webhook(request: HttpRequest, alias: str) -> JsonResponse:
    return _handle(request, alias, dict(request.headers))


@csrf_exempt  # unsigned by FASHN: a token derived from the alias's WEBHOOK_TOKEN stands in
@require_POST
def fashn_webhook(request: HttpRequest, alias: str) -> JsonResponse:
    """FASHN's callbacks carry nothing to verify: the URL's ``ref`` and ``token`` are checked."""
    headers = {**request.headers, WEBHOOK_QUERY_HEADER: request.META.get("QUERY_STRING", "")}
    return _handle(request, alias, headers)


def _handle(request: HttpRequest, alias: str, headers: dict[str, str]) -> JsonResponse:
    try:
        provider = get_provider(alias)
    except UnknownProvider:
        raise Http404("Unknown provider alias.") from None
    try:
        event = provider.parse_webhook(request.body, headers)
    except WebhookRejected as rejected:
        logger.warning("Webhook for %s rejected: %s", alias, rejected.reason)
        return JsonResponse({"ok": False, "error": rejected.reason}, status=400)
    if not event.provider_job_id:
        return JsonResponse({"ok": True, "ignored": True})
    known = pipeline.on_provider_event(alias, event.provider_job_id)
    # An id we don't know (another shop on the account, a deleted job): acknowledged, ignored.
    return JsonResponse({"ok": True, "ignored": not known})
