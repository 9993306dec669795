"""The NRD view of a device: its family of acts, imaging unit and NRD settings."""

from __future__ import annotations

from typing import Any

from kerma.reference.vocabulary import Family
from kerma.web.dose.models import Device
from kerma.web.nrd.models import DeviceSettings

# The family of acts a device performs, from its category (a user may set it per device).
FAMILY_BY_CATEGORY: dict[str, Family | None] = {
    Device.Category.CT: Family.CT,
    Device.Category.RADIOGRAPHY: Family.RADIOGRAPHY,
    Device.Category.RADIOGRAPHY_MOBILE: Family.RADIOGRAPHY,
    Device.Category.MAMMOGRAPHY: Family.MAMMOGRAPHY,
    Device.Category.FLUOROSCOPY: Family.INTERVENTIONAL,
    Device.Category.MOBILE_CARM: Family.INTERVENTIONAL,
    Device.Category.NUCLEAR_MEDICINE: Family.NUCLEAR_MEDICINE,
    Device.Category.PET: Family.NUCLEAR_MEDICINE,
    Device.Category.OTHER: None,
}


def settings_of(device: Device) -> DeviceSettings | None:
    """Return the device's NRD settings row, None when the defaults apply."""
    try:
        return device.nrd_settings
    except DeviceSettings.DoesNotExist:
        return None


def device_family(device: Device) -> Family | None:
    """Return the family of acts of ``device``: its settings, else from its category."""
    settings = settings_of(device)
    if settings is not None and settings.family:
        return Family(settings.family)
    return FAMILY_BY_CATEGORY.get(device.category)


def device_unit(device: Device) -> str:
    """Return the imaging unit of ``device``: its settings, else institution and department."""
    settings = settings_of(device)
    if settings is not None and settings.unit:
        return settings.unit
    return " / ".join(p for p in (device.institution, device.department) if p)


def device_info(device: Device) -> dict[str, Any]:
    """Return ``{id, name, manufacturer, model, serial_number, …}`` for JSON and exports."""
    settings = settings_of(device)
    family = device_family(device)
    return {
        "id": device.pk,
        "name": str(device),
        "manufacturer": device.manufacturer,
        "model": device.model,
        "serial_number": device.serial_number,
        "station_name": device.station_name,
        "institution": device.institution,
        "category": device.category,
        "family": family.value if family else None,
        "unit": device_unit(device),
        "in_perimeter": settings.in_perimeter if settings else True,
    }


def set_device_settings(device: Device, *, by: str, **values: Any) -> DeviceSettings:
    """Create or update the device's NRD settings (``in_perimeter``, ``family``, ``unit``,
    ``first_year``); audited."""
    settings = settings_of(device) or DeviceSettings(device=device)
    for name, value in values.items():
        if value is not None:
            setattr(settings, name, value)
    settings.updated_by = by
    settings.save(actor=by)
    device.nrd_settings = settings
    return settings
