"""What a signed-in user may see: the units they belong to, and permission checks for views.

Every view that reads devices, exams, evaluations or alerts narrows its query with these
functions, so that a multi-site installation keeps each unit's data to its own users; menus are
hidden too, but the check is here. Superusers (administrators) see every unit.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from kerma.web.accounts.models import Unit


def sees_all_units(user: Any) -> bool:
    """Return True for administrators, who see every unit."""
    return bool(getattr(user, "is_superuser", False))


def visible_units(user: Any) -> QuerySet[Unit]:
    """Return the units whose data ``user`` may see."""
    if sees_all_units(user):
        return Unit.objects.all()
    if not getattr(user, "is_authenticated", False):
        return Unit.objects.none()
    return Unit.objects.filter(membership__user=user)


def device_filter(user: Any, prefix: str = "") -> Q:
    """Return the Q object keeping rows whose device (at ``prefix``) ``user`` may see.

    ``prefix`` is the path to the device from the queried model: ``""`` for Device itself,
    ``"device__"`` for Exam or Evaluation, ``"exam__device__"`` for Event.
    """
    if sees_all_units(user):
        return Q()
    unit_ids = list(visible_units(user).values_list("id", flat=True))
    return Q(**{f"{prefix}unit_id__in": unit_ids})


def visible(queryset: QuerySet, user: Any, prefix: str = "device__") -> QuerySet:
    """Return ``queryset`` narrowed to the rows of devices ``user`` may see."""
    return queryset.filter(device_filter(user, prefix))


def visible_devices(user: Any) -> QuerySet:
    """Return the devices ``user`` may see."""
    from kerma.web.dose.models import Device

    return Device.objects.filter(device_filter(user, ""))


def visible_device_ids(user: Any) -> list[int] | None:
    """Return the ids of the devices of ``user``'s units (None for administrators: all)."""
    if sees_all_units(user):
        return None
    return list(visible_devices(user).values_list("id", flat=True))


def require(request: HttpRequest, *perms: str) -> None:
    """Raise PermissionDenied (403) unless the user holds every permission (``app.codename``)."""
    if not request.user.has_perms(perms):
        raise PermissionDenied


def get_visible_or_404(queryset: QuerySet, user: Any, prefix: str = "device__", **lookup: Any):
    """Return the one row of ``queryset`` matching ``lookup`` that ``user`` may see, else 404.

    A row of another unit answers 404 rather than 403: its existence is not disclosed.
    """
    obj = visible(queryset, user, prefix).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
