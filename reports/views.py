"""The report pages: the list, one report (filter form, chart, tables, notes) and its CSV.

Every read goes through the selectors, which ask reports.policy: a role that never reads
reports gets 403 here as from the API; a read is audited once, with its filters."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from audit.services import request_ip
from core.errors import Forbidden
from core.types import AuthedHttpRequest
from reports.charts import Series, bar_chart
from reports.exports import report_csv, report_filename
from reports.forms import ReportFilterForm
from reports.policy import reports_refuse_unless_allowed
from reports.selectors import REPORTS, report_get, report_list
from reports.services import report_read_record
from reports.types import Report


def _refuse_unless_allowed(request: AuthedHttpRequest, name: str) -> None:
    """403 (audited, by reports.policy) for a role that never reads reports."""
    try:
        reports_refuse_unless_allowed(user=request.user, name=name, ip=request_ip(request))
    except Forbidden as exc:
        raise PermissionDenied(exc.reason) from exc


@login_required
@require_safe
def report_index(request: AuthedHttpRequest) -> HttpResponse:
    _refuse_unless_allowed(request, "")
    reports = report_list(user=request.user)
    return render(request, "reports/index.html", {"reports": reports})


def _charts(report: Report) -> list[str]:
    return [
        bar_chart(
            title=chart.title,
            categories=list(chart.categories),
            series=[Series(name, tuple(values)) for name, values in chart.series],
            unit=chart.unit,
            chart_id=chart.chart_id,
            description=chart.description,
            suppressed_text=chart.withheld,
        )
        for chart in report.charts
    ]


@login_required
@require_safe
def report_page(request: AuthedHttpRequest, name: str) -> HttpResponse:
    if name not in REPORTS:
        raise Http404("No such report.")
    _refuse_unless_allowed(request, name)
    # Every field is optional (the last 12 months, all states): the form is always bound.
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        context = {"name": name, "info": REPORTS[name], "form": form, "report": None}
        return render(request, "reports/report.html", context, status=400)
    filters = form.filters
    report = report_get(user=request.user, name=name, filters=filters)
    report_read_record(actor=request.user, name=name, filters=filters, ip=request_ip(request))
    context = {
        "name": name,
        "info": REPORTS[name],
        "form": form,
        "report": report,
        "filters": filters,
        "charts": _charts(report),
        "csv_query": urlencode(filters.as_query()),
    }
    return render(request, "reports/report.html", context)


@login_required
@require_safe
def report_download(request: AuthedHttpRequest, name: str) -> HttpResponseBase:
    if name not in REPORTS:
        raise Http404("No such report.")
    _refuse_unless_allowed(request, name)
    form = ReportFilterForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(
            f"{field}: {' '.join(str(msg) for msg in msgs)}" for field, msgs in form.errors.items()
        )
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    report = report_get(user=request.user, name=name, filters=form.filters)
    report_read_record(actor=request.user, name=name, filters=form.filters, ip=request_ip(request))
    response = StreamingHttpResponse(report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{report_filename(report)}"'
    return response
