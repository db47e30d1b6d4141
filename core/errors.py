"""Domain errors: what services raise when a request is well formed but cannot be done.

They carry no HTTP or DRF: services stay usable from commands, tasks and views. Their
reasons are translated when raised (gettext), in the language active for the request.
The one API exception handler (`core.exceptions.exception_handler`) maps
each to its status code and the body `{"detail": reason, "code": code}`.

A field-level problem is a Django `ValidationError` (400 with a message per
field), not one of these.
"""

from __future__ import annotations

from django.utils.translation import gettext as _


class DomainError(Exception):
    """Base class: `reason` is a sentence a case worker understands."""

    status_code = 400
    default_code = "invalid"

    def __init__(self, reason: str, *, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.reason


class Conflict(DomainError):
    """The current state does not allow this transition (refer before approval,
    accept after the hold expired, no bed left): 409."""

    status_code = 409
    default_code = "conflict"


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it does: 404.

    Raise it with the same reason in both cases, so the answer never hints at existence.
    """

    status_code = 404
    default_code = "not_found"

    def __init__(self, reason: str | None = None, *, code: str | None = None) -> None:
        # Translated when raised: inside a request, in the language of its answer.
        super().__init__(reason or _("Not found."), code=code)


class Forbidden(DomainError):
    """The actor can see the thing but their role may not do this to it: 403."""

    status_code = 403
    default_code = "permission_denied"


class RulesFailed(Conflict):
    """A commitment (refer, accept, place, a crisis override) re-checked the matching
    rules on the live survivor and home rows and some failed: 409, naming each rule.

    `failed` is a list of `{"rule": code, "reason": sentence}`, in the engine's order.
    """

    default_code = "rules_failed"

    def __init__(self, home_name: str, failed: list[dict[str, str]]) -> None:
        from core.sentences import sentence  # core.vocab (and the engine) load after this

        failed = [{**item, "reason": sentence(item["reason"])} for item in failed]
        reasons = "; ".join(item["reason"] for item in failed)
        super().__init__(
            _("%(home)s no longer fits this child: %(reasons)s.")
            % {"home": home_name, "reasons": reasons}
        )
        self.failed = failed


class EncryptionKeyMissing(DomainError):
    """A record was encrypted with a key the configuration no longer lists
    (FIELD_ENCRYPTION_KEY dropped before `manage.py rotate_keys` finished): 503, said
    plainly, rather than a 500. Nothing is wrong with the request; an administrator must
    add the key back."""

    status_code = 503
    default_code = "encryption_key_missing"
