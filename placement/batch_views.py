"""Mass recovery's pages: place a group (the form), the plan's progress and result (an
htmx fragment polled every second while the solver runs), and the MDT's one review of the
whole plan. Each reads through `batch_get` (404 for a plan the user may not see, audited)
and writes through the batch services by one door (`_attempt`, as `policy.attempt` is for
the other form posts: a refusal is audited once, whoever refused)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop, ngettext
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import audit_reads, audit_record, request_ip
from core.errors import DomainError, Forbidden, NotFound
from core.messages import form_error_messages
from core.sentences import message
from core.types import Actor, AuthedHttpRequest
from placement import policy
from placement.forms import (
    BatchCrisisForm,
    BatchForm,
    BatchReviewForm,
    BatchSplitForm,
    EmptyForm,
)
from placement.models import Batch, BatchAssignment, Recommendation
from placement.services.batch_night import (
    batch_crisis_override,
    batch_split_group,
    batch_waitlist_unplaced,
)
from placement.services.batch_reviews import batch_review, batch_submit
from placement.services.batches import batch_cancel, batch_create, batch_get, batch_refused
from survivors.models import Status, Survivor
from survivors.policy import need_to_know

# Children a group may be picked from: every visible case not placed or closed.
PICKABLE = [s for s in Status.values if s not in (Status.PLACED, Status.DISCHARGED)]
FORM_FIELDS = {"survivors", "keep_apart", "pins", "excluded_homes", "time_limit_seconds"}


def _refuse(request: AuthedHttpRequest, batch_id: int | None, action: str) -> None:
    """Audit one refused attempt on a plan (whether or not it exists)."""
    batch_refused(actor=request.user, batch_id=batch_id, action=action, ip=request_ip(request))


def _batch_or_404(request: AuthedHttpRequest, batch_id: int, action: str) -> Batch:
    """The plan if the user may see it; otherwise the refusal is audited and a 404."""
    try:
        return batch_get(user=request.user, batch_id=batch_id)
    except NotFound as exc:
        _refuse(request, batch_id, action)
        raise Http404 from exc


# batch_create and batch_cancel write their own refusals to the trail; the review
# services leave it to their caller, as the workflow's services leave it to `attempt`.
SELF_AUDITED = {batch_create, batch_cancel}


def _attempt(request: AuthedHttpRequest, service, *, batch_id: int | None, action: str, **kwargs):
    """Run a batch service (the one door, as `policy.attempt`): a refusal is audited once
    and answers 404/403; a state that does not allow it raises DomainError, a bad field
    ValidationError, for the caller to show."""
    try:
        return service(actor=request.user, ip=request_ip(request), **kwargs)
    except (NotFound, Forbidden) as exc:
        if service not in SELF_AUDITED:
            _refuse(request, batch_id, action)
        if isinstance(exc, NotFound):
            raise Http404 from exc
        raise PermissionDenied(exc.reason) from exc


def _post(request: AuthedHttpRequest, service, *, batch: Batch, action: str, success: str) -> None:
    if not EmptyForm(request.POST).is_valid():
        return
    try:
        _attempt(request, service, batch_id=batch.pk, action=action, batch=batch)
    except DomainError as exc:
        messages.error(request, exc.reason)
    else:
        messages.success(request, success)


def _candidates(user: Actor) -> list[Survivor]:
    today = timezone.localdate()
    survivors = list(
        Survivor.objects.visible_to(user)
        .filter(status__in=PICKABLE)
        .order_by("case_number", "pk")[:1000]
    )
    for survivor in survivors:
        survivor.age_now = survivor.age_on(today)  # type: ignore[attr-defined]  # for the page
    return survivors


@login_required
@require_http_methods(["GET", "POST"])
def batch_new(request: AuthedHttpRequest) -> HttpResponse:
    """Place a group: pick children, mark siblings and co-victims, ask for a plan."""
    user = request.user
    if not policy.is_case_side(user):
        raise PermissionDenied(gettext("Case workers and supervisors place a group of children."))
    candidates = _candidates(user)
    if request.method == "GET":
        form = BatchForm(candidates=candidates)
        return _new_page(request, form)
    form = BatchForm(request.POST, candidates=candidates)
    if form.is_valid():
        data = form.cleaned_data
        try:
            batch = _attempt(
                request,
                batch_create,
                batch_id=None,
                action="batch.create",
                survivor_ids=data["survivor_ids"],
                keep_together=data["keep_together"],
                keep_apart=data["keep_apart"],
                pins=data["pins"],
                excluded_homes=data["excluded_home_ids"],
                time_limit_seconds=data["time_limit_seconds"],
            )
        except DomainError as exc:
            form.add_error(None, exc.reason)
        except ValidationError as exc:
            for field, texts in exc.message_dict.items():
                form.add_error(field if field in FORM_FIELDS else None, texts)
        else:
            messages.success(
                request,
                gettext("Group plan started: it appears on this page as soon as it is worked out."),
            )
            return redirect("batch-page", batch_id=batch.pk)
    return _new_page(request, form, status=400)


def _new_page(request: AuthedHttpRequest, form: BatchForm, status: int = 200) -> HttpResponse:
    recent = Batch.objects.filter(created_by=request.user).order_by("-created_at", "-id")[:10]
    return render(
        request,
        "placement/batch_new.html",
        {"form": form, "recent": recent, "now": timezone.now()},
        status=status,
    )


# A plan's line outcomes as the batch services store them (English, the API's words),
# and the words the page shows them in, in its language; a reason after "Not ...:" is the
# service's own, shown through the engine's sentences.
_OUTCOMES = {
    "referred": gettext_noop("Referred"),
    "waitlisted": gettext_noop("waitlisted"),
    "failed": gettext_noop("Failed"),
    "Rejected by the MDT": gettext_noop("Rejected by the MDT"),
    "Referred under the crisis override; the MDT rejected the plan after": gettext_noop(
        "Referred under the crisis override; the MDT rejected the plan after"
    ),
}
_OUTCOME_PREFIXES = {
    "Not sent to the MDT: ": gettext_noop("Not sent to the MDT: %(reason)s"),
    "Not referred: ": gettext_noop("Not referred: %(reason)s"),
    "Not waitlisted: ": gettext_noop("Not waitlisted: %(reason)s"),
}
_OUTCOME_REASONS = {
    "the MDT rejected the plan.": gettext_noop("the MDT rejected the plan."),
}


def outcome_shown(outcome: str) -> str:
    """A line's stored outcome in the page's language (as stored when not known)."""
    if outcome in _OUTCOMES:
        return gettext(_OUTCOMES[outcome])
    for prefix, shown in _OUTCOME_PREFIXES.items():
        if outcome.startswith(prefix):
            reason = outcome.removeprefix(prefix)
            known = _OUTCOME_REASONS.get(reason)
            return gettext(shown) % {"reason": gettext(known) if known else message(reason)}
    return outcome


def _plan_context(request: AuthedHttpRequest, batch: Batch) -> dict[str, Any]:
    user = request.user
    lines = list(
        batch.assignments.select_related("survivor", "home", "recommendation", "referral")
        .prefetch_related("recommendation__reviews__reviewer")
        .order_by("home_id", "id")
    )
    _mark_constraints(batch, lines)
    for line in lines:
        line.outcome_shown = outcome_shown(line.outcome)  # type: ignore[attr-defined]
    placed = [line for line in lines if line.home_id is not None]
    unplaced = [line for line in lines if line.home_id is None]
    return {
        "batch": batch,
        "placed": placed,
        "unplaced": unplaced,
        "children": len(lines),
        "gap_percent": round(batch.gap * 100, 1) if batch.gap is not None else None,
        "running": batch.status == Batch.Status.RUNNING,
        "may_act": policy.is_case_side(user),
        "may_send": policy.is_case_side(user)
        and batch.status == Batch.Status.DONE
        and batch.review_status == Batch.ReviewStatus.DRAFT
        and bool(placed),
        "need_to_know": need_to_know(user),
        # A group at night: refer all now (the MDT reviews after), waitlist the unplaced,
        # place apart siblings no home takes together.
        "may_override": policy.is_case_side(user)
        and batch.status == Batch.Status.DONE
        and not batch.crisis_override
        and batch.review_status in (Batch.ReviewStatus.DRAFT, Batch.ReviewStatus.PENDING_REVIEW)
        and bool(placed),
        "crisis_form": BatchCrisisForm(),
        "may_waitlist": policy.is_case_side(user)
        and batch.status == Batch.Status.DONE
        and any(line.outcome != "waitlisted" for line in unplaced),
        "split_groups": _unplaced_groups(batch, lines) if policy.is_case_side(user) else [],
        "today": timezone.localdate(),
        "now": timezone.now(),
    }


def _unplaced_groups(batch: Batch, lines: list[BatchAssignment]) -> list[dict[str, Any]]:
    """The keep-together groups the plan left unplaced (no home takes them together),
    numbered as the split form posts them, with their case numbers."""
    if batch.status != Batch.Status.DONE:
        return []
    by_child = {line.survivor_id: line for line in lines}
    groups = []
    for number, group in enumerate(batch.keep_together, start=1):
        members = [by_child[child] for child in group if child in by_child]
        if members and all(line.home_id is None for line in members):
            groups.append(
                {
                    "number": number,
                    "cases": [line.survivor.case_number for line in members],
                    "form": BatchSplitForm(initial={"group": number}),
                }
            )
    return groups


def _mark_constraints(batch: Batch, lines: list[BatchAssignment]) -> None:
    """Each line's siblings kept with it and children kept from it, by case number."""
    case = {line.survivor_id: line.survivor.case_number for line in lines}
    for line in lines:
        me = line.survivor_id
        # For the page's template: no such fields on the model.
        line.together = [  # type: ignore[attr-defined]
            case[other]
            for group in batch.keep_together
            if me in group
            for other in group
            if other != me and other in case
        ]
        line.apart = [  # type: ignore[attr-defined]
            case[b if a == me else a]
            for a, b in batch.keep_apart
            if me in (a, b) and (b if a == me else a) in case
        ]


@login_required
def batch_page(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    """The plan's progress while it runs, then the plan; an MDT member reads the plan
    on its review page (need to know)."""
    batch = _batch_or_404(request, batch_id, "batch.read")
    if need_to_know(request.user):
        return redirect("batch-review-page", batch_id=batch.pk)
    audit_record(actor=request.user, action="batch.read", obj=batch, ip=request_ip(request))
    return render(request, "placement/batch_page.html", _plan_context(request, batch))


@login_required
def batch_progress(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    """The fragment htmx polls: the bar while planning (carrying its own trigger), then
    the plan (without one, so the polling stops)."""
    batch = _batch_or_404(request, batch_id, "batch.read")
    if need_to_know(request.user):
        raise Http404
    return render(request, "placement/batch_progress.html", _plan_context(request, batch))


@login_required
@require_POST
def batch_cancel_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id, "batch.cancel")
    _post(request, batch_cancel, batch=batch, action="batch.cancel", success=gettext("Cancelled."))
    return redirect("batch-page", batch_id=batch.pk)


@login_required
@require_POST
def batch_submit_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id, "batch.submit")
    _post(
        request,
        batch_submit,
        batch=batch,
        action="batch.submit",
        success=gettext("Sent to the MDT as one review: the team is notified."),
    )
    return redirect("batch-page", batch_id=batch.pk)


@login_required
@require_http_methods(["GET", "POST"])
def batch_review_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    """The whole plan as one review, need to know only (case number, age, needs); the
    team's members approve or reject it; afterwards each line's outcome."""
    user = request.user
    action = "batch.review" if request.method == "POST" else "batch.read"
    batch = _batch_or_404(request, batch_id, action)
    if batch.review_status == Batch.ReviewStatus.DRAFT:
        raise Http404  # nothing to review until it is sent
    form = BatchReviewForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _attempt(
                    request,
                    batch_review,
                    batch_id=batch.pk,
                    action=action,
                    batch=batch,
                    **form.cleaned_data,
                )
            except DomainError as exc:
                messages.error(request, exc.reason)
            except ValidationError as exc:
                form_error_messages(request, exc.message_dict)
            else:
                messages.success(request, gettext("Your review of the whole plan is recorded."))
            return redirect("batch-review-page", batch_id=batch.pk)
        status = 400
    batch.refresh_from_db()
    context = _plan_context(request, batch)
    recommendations = [line.recommendation for line in context["placed"] if line.recommendation]
    audit_reads(
        actor=user, objects=recommendations, action="recommendation.read", ip=request_ip(request)
    )
    reviewed = any(
        review.reviewer_id == user.pk for rec in recommendations for review in rec.reviews.all()
    )
    context.update(
        form=form,
        may_review=batch.review_status == Batch.ReviewStatus.PENDING_REVIEW
        and getattr(user, "team_id", None) == batch.team_id
        and need_to_know(user)
        and not reviewed,
        approvals=_approvals(recommendations),
        sent=[line for line in context["placed"] if line.recommendation_id],
        not_sent=[line for line in context["placed"] if not line.recommendation_id],
    )
    return render(request, "placement/batch_review.html", context, status=status)


def _approvals(recommendations: list[Recommendation]) -> str:
    """How far the plan is from its quorum, in the team's words."""
    if not recommendations:
        return ""
    quorum = max(rec.quorum for rec in recommendations)
    given = min(
        sum(1 for review in rec.reviews.all() if review.decision == "approve")
        for rec in recommendations
    )
    return ngettext(
        "%(given)s of %(quorum)s approval", "%(given)s of %(quorum)s approvals", quorum
    ) % {"given": min(given, quorum), "quorum": quorum}


def _form_post(
    request: AuthedHttpRequest,
    batch_id: int,
    form_class,
    service,
    *,
    action: str,
    success: str,
) -> Any:
    """A plan's form post through the one door: the form cleans, the service decides."""
    batch = _batch_or_404(request, batch_id, action)
    form = form_class(request.POST)
    if not form.is_valid():
        form_error_messages(request, form.errors)
        return None
    try:
        result = _attempt(
            request, service, batch_id=batch.pk, action=action, batch=batch, **form.cleaned_data
        )
    except DomainError as exc:
        messages.error(request, exc.reason)
    except ValidationError as exc:
        form_error_messages(request, exc.message_dict)
    else:
        messages.success(request, success)
        return result
    return None


@login_required
@require_POST
def batch_crisis_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    _form_post(
        request,
        batch_id,
        BatchCrisisForm,
        batch_crisis_override,
        action="batch.crisis_override",
        success=gettext(
            "Referred now under a crisis override: each child was re-checked; the MDT "
            "reviews the plan after the fact."
        ),
    )
    return redirect("batch-page", batch_id=batch_id)


@login_required
@require_POST
def batch_waitlist_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    _form_post(
        request,
        batch_id,
        EmptyForm,
        batch_waitlist_unplaced,
        action="batch.waitlist",
        success=gettext("The unplaced children are on the waitlist (each line says so)."),
    )
    return redirect("batch-page", batch_id=batch_id)


@login_required
@require_POST
def batch_split_view(request: AuthedHttpRequest, batch_id: int) -> HttpResponse:
    split = _form_post(
        request,
        batch_id,
        BatchSplitForm,
        batch_split_group,
        action="batch.split_siblings",
        success=gettext("Recorded: a new plan places the siblings apart."),
    )
    return redirect("batch-page", batch_id=split.pk if split is not None else batch_id)
