"""The specialty of an act, from words of its name: the seven specialties of the SFPM working
group's survey of mobile C-arms (orthopaedics, digestive, urology, vascular, cardiology,
neurosurgery and spine, other). A site that knows better writes its own in the template."""

from __future__ import annotations

import unicodedata

SPECIALTIES = ("orthopaedics", "digestive", "urology", "vascular", "cardiology", "neuro", "other")

# Words (upper case, no accents) → specialty; the first specialty with a word in the name wins.
_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vascular", ("ANGIOPLASTIE", "FISTULE", "AORT", "FEMORAL", "ARTER", "ENDOPROTHESE",
                  "VARICE", "PICC", "DVI", "CHAMBRE IMPLANTABLE", "VASCULAIRE")),
    ("cardiology", ("PACEMAKER", "STIMULATEUR", "DEFIBRILLATEUR", "RYTHM", "CARDIO")),
    ("neuro", ("VERTEBRO", "CYPHO", "KYPHO", "HERNIE DISC", "RACHIS", "ARTHRODESE", "NEURO")),
    ("urology", ("SONDE JJ", "URETER", "LITHO", "NEPHRO", "URO", "PROSTAT")),
    ("digestive", ("CHOLANGIO", "CHOLECYST", "BILIAIRE", "CPRE", "DIGEST", "VISCER")),
    ("orthopaedics", ("HANCHE", "ENCLOUAGE", "OSTEOSYNTHESE", "POIGNET", "GENOU", "CHEVILLE",
                      "PIED", "COUDE", "EPAULE", "FRACTURE", "ORTHO", "PROTHESE")),
)


def specialty_of(name: str) -> str:
    """Return the specialty code of an act or procedure ``name`` (``"other"`` when no word of
    the table is in it)."""
    folded = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode().upper()
    for specialty, words in _WORDS:
        if any(word in folded for word in words):
            return specialty
    return "other"
