"""The roles of Kerma as Django groups, and the permissions each one holds.

A role is described by rules on permission codenames, not by a fixed list, so that the
permissions of apps added later (alerts, registers) fall into place: an inspector may *view*
everything, a radiographer views the dose data and the evaluations of the unit, a physicist
runs the work, a RAN signs it off. Administrators are superusers (the Django admin).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "administrator"
PHYSICIST = "physicist"
RAN = "ran"
RADIOGRAPHER = "radiographer"
QUALITY_MANAGER = "quality_manager"
INSPECTOR = "inspector"

ROLE_LABELS = {
    ADMINISTRATOR: _("Administrator"),
    PHYSICIST: _("Medical physicist"),
    RAN: _("RAN (responsible for the unit)"),
    RADIOGRAPHER: _("Clinician or radiographer"),
    QUALITY_MANAGER: _("Quality manager"),
    INSPECTOR: _("Inspector"),
}

# Apps whose data users work on (Django's own auth/session tables are the administrator's).
KERMA_APPS = {"audit", "dose", "node", "nrd", "followup", "charts", "accounts", "quality", "people",
              "patients"}

# What radiographers and clinicians may read: the dose data, evaluations, alerts of their unit.
_RADIOGRAPHER_VIEW = {
    "view_device",
    "view_exam",
    "view_event",
    "view_report",
    "view_evaluation",
    "view_correctiveaction",
    "view_protocolmapping",
    "view_storedreferenceset",
    "view_alert",
    "view_person",
    "view_certificate",
    "view_devicetraining",
    "view_qualification",
}

# The people register (training, device training, qualification) is kept by the quality
# manager and the RAN; staff exposure assessments and dosimetry are the physicist's (who holds
# every permission of the app), the RAN reads them.
_PEOPLE_REGISTER = {
    f"{action}_{model}"
    for action in ("add", "change")
    for model in ("person", "certificate", "devicetraining", "qualification")
}
# A radiographer declares events of the quality system (REX), reads the register and the
# written procedures (kept available near each device, decree 2003-270).
_RADIOGRAPHER_QUALITY = {
    "add_safetyevent",
    "view_safetyevent",
    "view_procedure",
    "view_procedureversion",
}

# Those who perform or prescribe exams record pregnancy checks and at-risk flags (decree
# 2003-270: the requester and the performer look for a pregnancy); the RAN too.
_PATIENT_ENTRY = {
    f"{action}_{model}"
    for action in ("view", "add", "change")
    for model in ("patientflag", "pregnancycheck")
}

Rule = Callable[[str, str], bool]


def _physicist(app: str, codename: str) -> bool:
    if app not in KERMA_APPS:
        return False
    if codename.startswith("delete_") and app in ("dose", "accounts"):
        return False  # dose data and units are never deleted from the pages
    if codename == "sign_evaluation" or codename.startswith("validate_"):
        return False  # the RAN signs and validates
    return not (app == "accounts" and not codename.startswith("view_"))


def _ran(app: str, codename: str) -> bool:
    if app not in KERMA_APPS:
        return False
    if app == "quality" and codename in ("change_qualityaction", "change_systemicanalysis"):
        return True  # the RAN records the effectiveness of actions and validates analyses
    return codename.startswith(("view_", "validate_")) or codename in {
        "sign_evaluation",
        "change_evaluation",
        "add_correctiveaction",
        "change_correctiveaction",
        "change_device",
        "change_devicesettings",
        "change_alert",
    } | _PEOPLE_REGISTER | _PATIENT_ENTRY


def _radiographer(app: str, codename: str) -> bool:
    if app == "quality":
        return codename in _RADIOGRAPHER_QUALITY
    return app in KERMA_APPS and codename in _RADIOGRAPHER_VIEW | _PATIENT_ENTRY


def _quality_manager(app: str, codename: str) -> bool:
    if app not in KERMA_APPS:
        return False
    if app == "quality":
        return not codename.startswith("validate_")  # runs the quality system; the RAN validates
    return codename.startswith("view_") or codename in {
        "add_correctiveaction",
        "change_correctiveaction",
    } | _PEOPLE_REGISTER


def _inspector(app: str, codename: str) -> bool:
    return app in KERMA_APPS and codename.startswith("view_")


ROLE_RULES: dict[str, Rule] = {
    PHYSICIST: _physicist,
    RAN: _ran,
    RADIOGRAPHER: _radiographer,
    QUALITY_MANAGER: _quality_manager,
    INSPECTOR: _inspector,
}


def ensure_roles() -> None:
    """Create or update the role groups with the permissions their rules grant."""
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for role, rule in ROLE_RULES.items():
        group, _created = Group.objects.get_or_create(name=role)
        wanted = [p for p in permissions if rule(p.content_type.app_label, p.codename)]
        group.permissions.set(wanted)
    Group.objects.get_or_create(name=ADMINISTRATOR)


def ensure_roles_after_migrate(**kwargs: Any) -> None:
    """post_migrate hook: keep the groups in step with the installed apps' permissions."""
    ensure_roles()


def role_of(user: Any) -> str | None:
    """Return the user's role name (administrator for superusers; None without a role)."""
    if getattr(user, "is_superuser", False):
        return ADMINISTRATOR
    names = set(user.groups.values_list("name", flat=True))
    for role in (ADMINISTRATOR, PHYSICIST, RAN, QUALITY_MANAGER, INSPECTOR, RADIOGRAPHER):
        if role in names:
            return role
    return None


def create_user(
    username: str, password: str, role: str, units: list[Any] | None = None, **fields: Any
) -> Any:
    """Create (or update) a user with one role and membership of ``units`` (default unit)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from kerma.web.accounts.models import Membership, Unit

    if role not in ROLE_LABELS:
        raise ValueError(f"unknown role {role!r}; known: {', '.join(ROLE_LABELS)}")
    ensure_roles()
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    for name, value in fields.items():
        setattr(user, name, value)
    user.is_superuser = role == ADMINISTRATOR
    user.is_staff = role == ADMINISTRATOR
    user.set_password(password)
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    for unit in units if units is not None else [Unit.default()]:
        Membership.objects.get_or_create(user=user, unit=unit)
    return user
