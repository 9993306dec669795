"""Wording of the skin-dose engine's findings (kerma.notices codes), in English and French.

An event left out of a map carries a :class:`kerma.notices.Notice`; its English text is the
``reason`` of the JSON output (unchanged for scripts), its code and parameters come with it.
"""

from __future__ import annotations

from kerma.notices import declare

NOT_PROJECTION = declare(
    "skindose.skip.not_projection",
    en="not a projection event ({kind})",
    fr="pas un événement de projection ({kind})",
)
MISSING = declare(
    "skindose.skip.missing",
    en="missing {fields_en}",
    fr="manque : {fields_fr}",
)
IMPLAUSIBLE_SID = declare(
    "skindose.skip.implausible_source_isocentre",
    en="implausible source-to-isocentre distance ({sid_mm} mm)",
    fr="distance source-isocentre invraisemblable ({sid_mm} mm)",
)
IMPLAUSIBLE_FIELD_DISTANCE = declare(
    "skindose.skip.implausible_field_distance",
    en="implausible distance at which the field size is stated",
    fr="distance invraisemblable du plan où la taille du champ est donnée",
)
MISSES_PHANTOM = declare(
    "skindose.skip.misses_phantom",
    en="beam misses the phantom (no skin cell inside the field on the entrance side)",
    fr="le faisceau manque le fantôme (aucune cellule de peau dans le champ, côté entrée)",
)

# The event fields the engine needs, worded for the MISSING notice.
FIELD_WORDS: dict[str, tuple[str, str]] = {
    "kar_mgy": ("air kerma at the reference point", "kerma dans l'air au point de référence"),
    "primary_angle_deg": ("positioner primary angle", "angle primaire du statif"),
    "secondary_angle_deg": ("positioner secondary angle", "angle secondaire du statif"),
    "source_isocentre_mm": ("source-to-isocentre distance", "distance source-isocentre"),
    "table_longitudinal_mm": ("table longitudinal position", "position longitudinale de la table"),
    "table_lateral_mm": ("table lateral position", "position latérale de la table"),
    "table_height_mm": ("table height position", "hauteur de la table"),
    "field_size": (
        "collimated field size",
        "taille du champ collimaté (ni PDS/Ka,r pour la déduire)",
    ),
    "source_detector_mm": (
        "source-to-detector distance (the field size is stated at the detector)",
        "distance source-détecteur (la taille du champ est donnée au détecteur)",
    ),
}
