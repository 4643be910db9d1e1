"""The overview's row in the admin's index and the try-on app's index.

The overview lives under the job admin; its entry forwards there.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse

from ..models import TryOnOverview
from .page_entry import PageEntryAdmin


@admin.register(TryOnOverview)
class TryOnOverviewAdmin(PageEntryAdmin):
    def page_view(self, request: HttpRequest) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:django_tryon_tryonjob_overview")
        )
