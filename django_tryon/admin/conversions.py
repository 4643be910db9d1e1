"""The conversion report's page in the admin (and, through ``report_context``, Oscar's).

Every figure comes from ``django_tryon.services.conversion_report``; this module reads the
period from the query string, arranges the figures for the template (rates as percents,
the difference in percentage points with its interval, or "not enough data") and writes
the CSV export. The page is the changelist of the ``ConversionReport`` proxy, so Django
lists it in the admin's index and the try-on app's index, next to the overview.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from ..models import ConversionReport, TryOnJob
from ..services.conversion_report import (
    UNSEEN,
    WITH,
    WITHOUT,
    Funnel,
    Report,
    conversion_report,
    csv_rows,
    default_period,
)
from ..services.intervals import MIN_SAMPLE, Difference
from .charts import stacked_bars
from .page_entry import PageEntryAdmin, PageView
from .pages import render_page

DAYS = 30
LONGEST = 366  # days in one report


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}))

    def period(self) -> tuple[date, date]:
        """The period asked for, or the last 30 days (also for a bad or too long one)."""
        first, last = default_period(DAYS)
        if not self.is_valid():
            return first, last
        start, end = self.cleaned_data["start"], self.cleaned_data["end"]
        if start is None and end is None:
            return first, last
        end = end or (start + timedelta(days=DAYS - 1))
        start = start or (end - timedelta(days=DAYS - 1))
        if end < start:
            start, end = end, start
        if (end - start).days >= LONGEST:
            start = end - timedelta(days=LONGEST - 1)
        return start, end


def percent(value: float | None) -> str:
    return "—" if value is None else f"{number_format(value * 100, 1)} %"


def points(value: float) -> str:
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    return f"{sign}{number_format(abs(value) * 100, 1)}"


@dataclass(frozen=True)
class DifferenceView:
    """A difference of rates as the page shows it."""

    difference: Difference

    @property
    def rate_with(self) -> str:
        return percent(self.difference.rate_a)

    @property
    def rate_without(self) -> str:
        return percent(self.difference.rate_b)

    @property
    def text(self) -> str:
        d = self.difference.difference
        return "—" if d is None else gettext("%(points)s pts") % {"points": points(d)}

    @property
    def interval(self) -> str:
        interval = self.difference.interval
        if interval is None:
            return str(gettext("not enough data"))
        return gettext("%(low)s to %(high)s pts") % {
            "low": points(interval.low),
            "high": points(interval.high),
        }

    @property
    def verdict(self) -> str:
        """CSS hint: ``up``/``down`` when the interval excludes 0, else ``unclear``."""
        if not self.difference.is_clear:
            return "unclear"
        assert self.difference.difference is not None
        return "up" if self.difference.difference > 0 else "down"


@dataclass(frozen=True)
class RowView:
    name: str
    url: str
    funnel: Funnel

    @property
    def conversion(self) -> DifferenceView:
        return DifferenceView(self.funnel.conversion)

    @property
    def add_to_cart(self) -> DifferenceView:
        return DifferenceView(self.funnel.add_to_cart)

    @property
    def credits_per_result(self) -> Decimal | None:
        return self.funnel.credits_per_converting_result


def report_context(request: HttpRequest) -> dict[str, Any]:
    """What both report pages (admin, Oscar) show for the period in the query string."""
    form = PeriodForm(request.GET or None)
    start, end = form.period()
    report = conversion_report(start, end)
    labels = {
        WITH: gettext("With a try-on"),
        WITHOUT: gettext("Without a try-on"),
        UNSEEN: gettext("Never saw the widget"),
    }
    styles = {WITH: "succeeded", WITHOUT: "provider-1", UNSEEN: "other"}
    return {
        "form": form,
        "report": report,
        "start": start,
        "end": end,
        "rows": [RowView(row.name, row.url, row.funnel) for row in report.products],
        "total": RowView(gettext("All try-on products"), "", report.total),
        "min_sample": MIN_SAMPLE,
        "shoppers_chart": stacked_bars(
            report.shoppers_per_day, labels=labels, styles=styles, label_every=_every(report)
        ),
        "orders_chart": stacked_bars(
            report.orders_per_day, labels=labels, styles=styles, label_every=_every(report)
        ),
        "csv_query": request.GET.urlencode(),
    }


def _every(report: Report) -> int:
    days = (report.end - report.start).days + 1
    return max(1, days // 6)


def csv_response(request: HttpRequest) -> HttpResponse:
    start, end = PeriodForm(request.GET or None).period()
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="tryon-conversions-{start.isoformat()}-{end.isoformat()}.csv"'
    )
    writer = csv.writer(response)
    for row in csv_rows(conversion_report(start, end)):
        writer.writerow(_safe(cell) for cell in row)
    return response


def _safe(cell: str) -> str:
    # A product name starting with = + - @ would be a formula to a spreadsheet.
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") and not _is_number(cell) else cell


def _is_number(cell: str) -> bool:
    try:
        Decimal(cell)
    except Exception:
        return False
    return True


@admin.register(ConversionReport)
class ConversionReportAdmin(PageEntryAdmin):
    """The conversion report's page, with its CSV export."""

    class Media:
        css = {"all": ["django_tryon/admin/tryon.css"]}

    def more_views(self) -> list[PageView]:
        return [("export.csv", "export", self.export_view)]

    def page_view(self, request: HttpRequest) -> HttpResponse:
        site = self.admin_site.name
        title = _("Conversion report")
        app = reverse(f"{site}:app_list", kwargs={"app_label": self.opts.app_label})
        context = {
            "title": title,
            "opts": self.opts,
            "media": self.media,
            **report_context(request),
            "csv_url": reverse(f"{site}:django_tryon_conversionreport_export"),
            "overview_url": reverse(f"{site}:django_tryon_tryonjob_overview"),
        }
        crumbs = [(app, str(TryOnJob._meta.app_config.verbose_name)), ("", str(title))]
        return render_page(
            self.admin_site,
            request,
            "django_tryon/admin/conversions.html",
            context,
            crumbs=crumbs,
        )

    def export_view(self, request: HttpRequest) -> HttpResponse:
        self.require_view(request)
        return csv_response(request)
