"""Imaging units and who belongs to them.

A unit is the perimeter of a RAN (an imaging department, a site): its devices, their exams and
evaluations are seen only by its members. Roles are Django groups (see :mod:`.roles`); a user's
role applies in every unit the user belongs to.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_UNIT_CODE = "main"


class Unit(models.Model):
    """An imaging unit: the devices of one RAN's perimeter, on one site."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    site = models.CharField(_("site"), max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="units", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return f"{self.name} ({self.site})" if self.site else self.name

    @classmethod
    def default(cls) -> Unit:
        """Return the unit new devices join (created on first use)."""
        unit, _created = cls.objects.get_or_create(
            code=DEFAULT_UNIT_CODE, defaults={"name": "Unité d'imagerie"}
        )
        return unit


class Membership(models.Model):
    """A user belongs to a unit (and sees its data)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "unit"], name="one_membership_per_unit")
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} ∈ {self.unit}"
