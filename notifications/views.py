from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from core.errors import NotFound
from core.types import AuthedHttpRequest
from notifications.models import Notification
from notifications.selectors import notification_list
from notifications.services import notification_mark_all_read, notification_mark_read

PAGES = {
    "placement.referral": "referral-page",
    "placement.recommendation": "recommendation-page",
    "survivors.survivor": "survivor-page",
    "homes.home": "home-manage",
    "placement.batch": "batch-page",
}


def link_of(notification: Notification) -> str | None:
    """The page a notification is about, when there is one: the link stored with it,
    or for one made before links were stored, from its record's type."""
    if notification.link.startswith("/"):
        return notification.link
    name = PAGES.get(notification.object_type)
    if not name or not notification.object_id.isdigit():
        return None
    try:
        return reverse(name, args=[int(notification.object_id)])
    except NoReverseMatch:
        return None


@login_required
def notifications_page(request: AuthedHttpRequest) -> HttpResponse:
    items = list(notification_list(user=request.user)[:100])
    return render(
        request,
        "notifications/list.html",
        {"items": [(n, link_of(n)) for n in items]},
    )


@login_required
@require_POST
def notification_open(request: AuthedHttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go to what it is about."""
    try:
        notification = notification_mark_read(actor=request.user, notification_id=notification_id)
    except NotFound as exc:
        raise Http404 from exc
    return redirect(link_of(notification) or "notifications-page")


@login_required
@require_POST
def notifications_read_all(request: AuthedHttpRequest) -> HttpResponse:
    notification_mark_all_read(actor=request.user)
    return redirect("notifications-page")
