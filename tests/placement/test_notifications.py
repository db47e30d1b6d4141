"""In-app notifications (a list per user, unread count, mark read) and their email."""

from __future__ import annotations

import pytest
from django.core import mail

from notifications.models import Notification
from notifications.services import notification_mark_read, notification_send
from tests.placement.helpers import recommend

pytestmark = pytest.mark.postgres


def test_it_asks_the_team_to_review_in_the_app_and_by_email(
    alice, mdt, mdt_other, survivor, home, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        recommendation = recommend(alice, survivor, home)

    assert [m.to for m in mail.outbox] == [["mona@example.org"]]
    assert mail.outbox[0].subject == "Harbor: Review requested"
    # The case number to find the case by; never the child's name.
    assert f"Case {survivor.case_number} waits for your review" in mail.outbox[0].body
    assert "Jane" not in mail.outbox[0].body and "Roe" not in mail.outbox[0].body
    inbox = api(mdt).get("/api/v1/notifications/").json()
    assert inbox["count"] == 1
    item = inbox["results"][0]
    assert (item["kind"], item["read"]) == ("review_requested", False)
    assert (item["object_type"], item["object_id"]) == (
        "placement.recommendation",
        str(recommendation.pk),
    )
    assert api(mdt_other).get("/api/v1/notifications/").json()["count"] == 0
    assert Notification.objects.get().emailed_at is not None


def test_it_counts_unread_and_marks_read(alice, bob, api):
    notification_send(recipients=[alice], kind="review_done", message="One.", email=False)
    notification_send(recipients=[alice], kind="review_done", message="Two.", email=False)
    client = api(alice)

    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}
    first = Notification.objects.filter(recipient=alice).first()
    response = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert response.status_code == 200 and response.json()["read"] is True
    assert client.post(f"/api/v1/notifications/{first.pk}/read/").status_code == 200
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 1}
    assert client.get("/api/v1/notifications/?unread=true").json()["count"] == 1

    # Nobody reads or marks anyone else's.
    assert api(bob).post(f"/api/v1/notifications/{first.pk}/read/").json() == {
        "detail": "Not found.",
        "code": "not_found",
    }
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}


def test_it_notifies_once_per_key(alice):
    for _ in range(2):
        notification_send(
            recipients=[alice], kind="bed_opened", message="Bed.", dedupe_key="k:1", email=False
        )
    assert Notification.objects.filter(recipient=alice).count() == 1


def test_it_emails_what_was_left_unsent_once(alice, bob):
    import datetime

    from django.utils import timezone

    from notifications.services import notifications_email_unsent

    left = notification_send(recipients=[alice, bob], kind="review_done", message="Done.")
    Notification.objects.filter(pk__in=[n.pk for n in left]).update(
        created_at=timezone.now() - datetime.timedelta(minutes=5)
    )
    bob.email = ""
    bob.save()

    assert notifications_email_unsent() == 1
    assert notifications_email_unsent() == 0
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_it_sends_a_resent_email_with_the_same_message_id(alice, survivor):
    from notifications.models import Notification
    from notifications.services import notification_email

    notification = Notification.objects.create(
        recipient=alice, kind="referral_accepted", message="A home accepted."
    )
    assert notification_email(notification_id=notification.pk)
    # A worker killed after the mail server took it, before the row said so: sent again.
    Notification.objects.filter(pk=notification.pk).update(emailed_at=None)
    assert notification_email(notification_id=notification.pk)

    first, second = mail.outbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    assert first.message()["Message-ID"] == second.message()["Message-ID"]
    assert str(notification.pk) in first.message()["Message-ID"]
    other = Notification.objects.create(recipient=alice, kind="referral_accepted", message="B")
    notification_email(notification_id=other.pk)
    assert mail.outbox[2].message()["Message-ID"] != first.message()["Message-ID"]


def _badge(client) -> str | None:
    """The header's unread badge on a page, as its screen reader label says it."""
    page = client.get("/notifications/").content.decode()
    if '<span class="count"' not in page:
        return None
    return page.split('<span class="count" aria-label="')[1].split('"')[0]


def test_the_header_counts_her_unread_after_each_write_and_read(alice, bob, client):
    client.force_login(alice)
    assert _badge(client) is None
    notification_send(recipients=[alice], kind="review_done", message="One.", email=False)
    notification_send(recipients=[alice, bob], kind="review_done", message="Two.", email=False)
    assert _badge(client) == "2 unread"
    # Another's notification and another's reading leave hers alone.
    notification_send(recipients=[bob], kind="review_done", message="Bob's.", email=False)
    for theirs in Notification.objects.filter(recipient=bob):
        notification_mark_read(actor=bob, notification_id=theirs.pk)
    assert _badge(client) == "2 unread"
    first = Notification.objects.filter(recipient=alice).first()
    client.post(f"/notifications/{first.pk}/open/")
    assert _badge(client) == "1 unread"
    client.post("/notifications/read-all/")
    assert _badge(client) is None
