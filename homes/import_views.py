"""The import page: upload a directory file, follow the job, read its errors, import.

The same policy and service as the API (homes.imports): Harbor admins and home admins
(their own homes); anyone else gets 403. The job page refreshes itself while the job
runs (a meta refresh: no JavaScript needed).
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.types import AuthedHttpRequest
from homes.import_files import (
    ImportFileError,
    max_bytes,
    template_csv,
    template_xlsx,
    too_large_message,
)
from homes.imports import home_import_apply_checked, home_import_start, may_import
from homes.models import Home, HomeImport


class HomeImportForm(forms.Form):
    file = forms.FileField(
        label=_("Directory file (CSV or XLSX)"),
        help_text=_("The template's columns, one home a row."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Check only: show what would change and every error, store nothing"),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > max_bytes():
            raise forms.ValidationError(too_large_message())
        return upload


def _importer(request: AuthedHttpRequest) -> None:
    if not may_import(request.user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def home_import(request: AuthedHttpRequest) -> HttpResponse:
    _importer(request)
    status = 200
    if request.method == "POST":
        length = request.META.get("CONTENT_LENGTH") or "0"
        if not (length.isascii() and length.isdigit()) or int(length) > max_bytes() + 64 * 1024:
            form = HomeImportForm()  # the body is not read: a 50 MB upload is refused
            form.errors["file"] = form.error_class([too_large_message()])
            return _page(request, form, 400)
        form = HomeImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = home_import_start(
                    actor=request.user,
                    name=upload.name or "",
                    content=upload.read(),
                    dry_run=form.cleaned_data["dry_run"],
                )
            except ValidationError as error:
                form.add_error("file", error.message_dict.get("file", error.messages))
            else:
                return redirect("home-import-job", import_id=job.pk)
        status = 400
    else:
        form = HomeImportForm()
    return _page(request, form, status)


def _page(request: AuthedHttpRequest, form: HomeImportForm, status: int) -> HttpResponse:
    recent = HomeImport.objects.defer("content").filter(created_by=request.user)[:5]
    return render(
        request,
        "homes/import.html",
        {
            "form": form,
            "recent": recent,
            "max_mb": max_bytes() // (1024 * 1024),
            "export_url": reverse("home-export") + "?format=csv",
        },
        status=status,
    )


def _job(request: AuthedHttpRequest, import_id: int) -> HomeImport:
    _importer(request)
    jobs = HomeImport.objects.defer("content")
    if not request.user.is_harbor_admin:
        jobs = jobs.filter(created_by=request.user)
    job = jobs.filter(pk=import_id).first()
    if job is None:
        raise Http404
    return job


@login_required
@require_safe
def home_import_detail(request: AuthedHttpRequest, import_id: int) -> HttpResponse:
    job = _job(request, import_id)
    response = render(request, "homes/import_job.html", {"job": job, "Status": HomeImport.Status})
    if not job.finished:
        response["Refresh"] = "2"  # the browser reloads it: progress without JavaScript
    return response


class ApplyForm(forms.Form):
    """Nothing to fill in: the button imports the checked file."""


@login_required
@require_POST
def home_import_apply(request: AuthedHttpRequest, import_id: int) -> HttpResponse:
    job = _job(request, import_id)
    try:
        new = home_import_apply_checked(actor=request.user, import_id=job.pk)
    except ValidationError:
        form = HomeImportForm()
        form.errors["file"] = form.error_class(
            [gettext("This check cannot be imported any more: upload the file again.")]
        )
        return _page(request, form, 400)
    return redirect("home-import-job", import_id=new.pk)


@login_required
@require_safe
def home_import_template(request: AuthedHttpRequest) -> HttpResponse:
    """The columns and one example row, as CSV (default) or XLSX; for a home admin, a row
    for each of their homes as it is now, with its external id (the key the import
    matches on), ready to edit."""
    _importer(request)
    homes = None
    if not request.user.is_harbor_admin:
        homes = list(Home.objects.editable_by(request.user).order_by("name", "pk"))
    if request.GET.get("format") == "xlsx":
        body = template_xlsx(homes)
        kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        name = "harbor-homes-template.xlsx"
    else:
        body = template_csv(homes)
        kind, name = "text/csv; charset=utf-8", "harbor-homes-template.csv"
    response = HttpResponse(body, content_type=kind)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


__all__ = ["ImportFileError"]
