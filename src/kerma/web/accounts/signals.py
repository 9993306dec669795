"""Changes to users, their roles and their units are written to the audit log."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from kerma.web.accounts.models import Membership
from kerma.web.audit.log import changed
from kerma.web.audit.models import AuditEntry

_USER_FIELDS = (
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
)


def _user_data(user: Any) -> dict[str, Any]:
    return {name: getattr(user, name) for name in _USER_FIELDS}


def _record(obj: Any, action: str, **kwargs: Any) -> None:
    AuditEntry.record(obj, action, **kwargs)


@receiver(pre_save, sender=get_user_model())
def _remember_user(sender: Any, instance: Any, **kwargs: Any) -> None:
    old = sender._base_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = _user_data(old) if old is not None else None
    instance._audit_password = old.password if old is not None else None


@receiver(post_save, sender=get_user_model())
def _audit_user(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    after = _user_data(instance)
    before = getattr(instance, "_audit_before", None)
    password_changed = (
        not created and getattr(instance, "_audit_password", None) != instance.password
    )
    if created or before is None:
        _record(("user", instance.pk), "create", after=after, summary=instance.username)
        return
    b, a = changed(before, after)
    if password_changed:
        b["password"], a["password"] = "…", "(changed)"
    if b or a:
        _record(("user", instance.pk), "update", before=b, after=a, summary=instance.username)


@receiver(post_delete, sender=get_user_model())
def _audit_user_delete(sender: Any, instance: Any, **kwargs: Any) -> None:
    _record(("user", instance.pk), "delete", before=_user_data(instance), summary=instance.username)


@receiver(m2m_changed, sender=get_user_model().groups.through)
def _audit_roles(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if action not in ("post_add", "post_remove", "post_clear") or not hasattr(instance, "groups"):
        return
    roles = sorted(instance.groups.values_list("name", flat=True))
    _record(("user", instance.pk), "roles", after={"roles": roles}, summary=instance.username)


@receiver(post_save, sender=Membership)
def _audit_membership(sender: Any, instance: Membership, created: bool, **kwargs: Any) -> None:
    if created:
        _record(
            ("user", instance.user_id),
            "join_unit",
            after={"unit": str(instance.unit)},
            summary=str(instance.user),
        )


@receiver(post_delete, sender=Membership)
def _audit_leave(sender: Any, instance: Membership, **kwargs: Any) -> None:
    _record(
        ("user", instance.user_id),
        "leave_unit",
        before={"unit": str(instance.unit_id)},
        summary=str(instance.user_id),
    )


# ---- sign-ins ------------------------------------------------------------------------------


def _client_address(request: Any) -> str:
    """The client's address as seen by Kerma (the proxy's trusted X-Forwarded-For included)."""
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "")) if request else ""


@receiver(user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    import time

    from kerma.web.middleware import SEEN_AT, SIGNED_IN_AT

    if request is not None and hasattr(request, "session"):
        request.session[SIGNED_IN_AT] = request.session[SEEN_AT] = time.time()
    _record(("user", user.pk), "login", actor=user.get_username(),
            after={"address": _client_address(request)}, summary=user.get_username())


@receiver(user_logged_out)
def _audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        _record(("user", user.pk), "logout", actor=user.get_username(),
                after={"address": _client_address(request)}, summary=user.get_username())


@receiver(user_login_failed)
def _audit_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None,
                        **kwargs: Any) -> None:
    """A failed sign-in: under the user it named when that user exists (its unit's readers see
    it), else under no user (administrators only). The password is never recorded."""
    name = str(credentials.get("username") or "")[:150]
    user = get_user_model()._base_manager.filter(username=name).first() if name else None
    locked = bool(getattr(request, "axes_locked_out", False))
    _record(("user", user.pk if user is not None else ""), "login_failed", actor="anonymous",
            after={"username": name, "address": _client_address(request), "locked_out": locked},
            summary=name)


@receiver(user_locked_out)
def _audit_lockout(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    name = str(username or "")[:150]
    user = get_user_model()._base_manager.filter(username=name).first() if name else None
    _record(("user", user.pk if user is not None else ""), "locked_out", actor="anonymous",
            after={"username": name, "address": _client_address(request)}, summary=name)
