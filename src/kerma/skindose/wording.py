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

# What the engine assumed or left out of a map (SkinDoseResult.warnings, worded).
IMPLAUSIBLE_HEIGHT = declare(
    "skindose.warn.implausible_height",
    en="patient height {height_m} m is implausible: {used_mm} mm used",
    fr="taille du patient {height_m} m invraisemblable : {used_mm} mm retenus",
)
IMPLAUSIBLE_WEIGHT = declare(
    "skindose.warn.implausible_weight",
    en="patient weight {weight_kg} kg is implausible: {used_kg} kg used",
    fr="poids du patient {weight_kg} kg invraisemblable : {used_kg} kg retenus",
)
ASSUMED_VALUE = declare(
    "skindose.warn.assumed_value",
    en="{name} missing in {count} event(s): the room's assumed value {value} was used",
    fr="{name} absent dans {count} événement(s) : la valeur supposée de la salle, {value}, "
    "a été utilisée",
)
KVP_ASSUMED = declare(
    "skindose.warn.kvp_assumed",
    en="kVp missing in {count} event(s): {kvp} kV assumed",
    fr="kVp absent dans {count} événement(s) : {kvp} kV supposés",
)
FIELD_DERIVED = declare(
    "skindose.warn.field_derived",
    en="no collimated field size in {count} event(s): the field area at the reference point "
    "was derived from DAP / Ka,r of the same event (square field)",
    fr="pas de taille de champ collimaté dans {count} événement(s) : l'aire du champ au point "
    "de référence a été déduite du PDS / Ka,r du même événement (champ carré)",
)
ROTATIONAL = declare(
    "skindose.warn.rotational",
    en="{count} rotational event(s) spread over their arc in steps of at most {step_deg}°",
    fr="{count} événement(s) rotationnel(s) réparti(s) sur leur arc par pas d'au plus "
    "{step_deg}°",
)
BEAMS_MISS = declare(
    "skindose.warn.beams_miss",
    en="{count} beam(s) miss the {phantom} phantom ({lost_mgy} mGy Ka,r not in the map): "
    "check the phantom and the room's table settings if this is unexpected",
    fr="{count} faisceau(x) manque(nt) le fantôme {phantom} ({lost_mgy} mGy de Ka,r hors de "
    "la carte) : vérifier le fantôme et les réglages de table de la salle si c'est inattendu",
)
GEOMETRY_MISSING = declare(
    "skindose.warn.geometry_missing",
    en="geometry missing for {missing} of {events} events ({lost_mgy} of {total_mgy} mGy "
    "Ka,r): they are not in the map",
    fr="géométrie absente pour {missing} des {events} événements ({lost_mgy} des {total_mgy} "
    "mGy de Ka,r) : ils ne sont pas dans la carte",
)
KAR_ESTIMATE = declare(
    "skindose.warn.kar_estimate",
    en="no event has the geometry needed for a skin-dose map: the peak skin dose is a "
    "conservative estimate from Ka,r (sum of Ka,r × backscatter × tissue factor over "
    "{count} events, no inverse-square or table correction, all fields assumed to overlap)",
    fr="aucun événement n'a la géométrie nécessaire à une carte de dose à la peau : la dose "
    "maximale à la peau est une estimation majorante à partir du Ka,r (somme de Ka,r × "
    "rétrodiffusion × facteur tissu sur {count} événements, sans correction de l'inverse du "
    "carré ni de la table, tous les champs supposés superposés)",
)
