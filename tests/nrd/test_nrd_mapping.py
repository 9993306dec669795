"""Protocol → act mapping rules, unmapped names, suggestions."""

from __future__ import annotations

import pytest

from kerma.nrd import (
    Acquisition,
    MappingRule,
    MappingRuleError,
    MatchKind,
    ProtocolMapper,
    suggest_acts,
    unmapped_names,
)

RULES = [
    MappingRule("tap", "CT-TAP", MatchKind.CONTAINS, priority=50),
    MappingRule(r"^thorax\s+abdo", "CT-TAP", MatchKind.REGEX, priority=50),
    MappingRule("THORAX", "CT-THORAX", MatchKind.CONTAINS, priority=100),
    MappingRule("Crâne sans injection", "CT-ENCEPHALE", MatchKind.EXACT),
    MappingRule("thorax", "CT-THORAX-LOCAL", MatchKind.CONTAINS, device_id="CT2", priority=100),
    MappingRule("Cheville", "RX-CHEVILLE", MatchKind.EXACT, case_sensitive=True),
]


@pytest.fixture
def mapper() -> ProtocolMapper:
    return ProtocolMapper(RULES)


@pytest.mark.parametrize(
    ("device", "name", "act"),
    [
        ("CT1", "TAP C+", "CT-TAP"),
        ("CT1", "THORAX ABDO PELVIS INJ", "CT-TAP"),  # priority 50 beats "THORAX" at 100
        ("CT1", "Thorax sans injection", "CT-THORAX"),
        ("CT2", "Thorax sans injection", "CT-THORAX-LOCAL"),  # device's own rule first
        ("CT1", "CRANE  SANS   INJECTION", "CT-ENCEPHALE"),  # case, accents, spaces ignored
        ("CT1", "Crâne sans injection osseux", None),  # exact means exact
        ("DX1", "Cheville", "RX-CHEVILLE"),
        ("DX1", "CHEVILLE", None),  # case-sensitive rule
        ("CT1", "Genou", None),
        ("CT1", "", None),
    ],
)
def test_first_match_by_priority(mapper, device, name, act):
    assert mapper.act_for(device, name) == act


def test_an_invalid_regular_expression_is_refused():
    with pytest.raises(MappingRuleError, match="invalid regular expression"):
        ProtocolMapper([MappingRule("(unclosed", "CT-TAP", MatchKind.REGEX, rule_id=7)])
    with pytest.raises(MappingRuleError, match="empty pattern"):
        ProtocolMapper([MappingRule("", "CT-TAP")])


def test_apply_maps_the_exam_and_its_acquisitions(mapper, make_exam):
    exam = make_exam(
        act_code=None,
        procedure="TAP C+",
        acquisitions=(Acquisition("e1", protocol="Thorax"), Acquisition("e2", protocol="Topo")),
    )
    mapped = mapper.apply(exam)
    assert mapped.act_code == "CT-TAP"
    assert [a.act_code for a in mapped.acquisitions] == ["CT-THORAX", None]


def test_unmapped_names_with_counts_and_suggestions(mapper, make_exam, ref2011):
    names = ["ABDO PELVIS INJ"] * 3 + ["Crane SPC"] * 2 + ["TAP"] + ["ABDO PELVIS INJ"]
    exams = [make_exam(i, procedure=n, act_code=None) for i, n in enumerate(names)]
    exams.append(make_exam(20, procedure="ABDO PELVIS INJ", device_id="CT2", act_code=None))
    found = unmapped_names(exams, mapper, ref2011.acts(), device_families={"CT1": "ct"})
    assert [(u.device_id, u.name, u.count) for u in found] == [
        ("CT1", "ABDO PELVIS INJ", 4),
        ("CT1", "Crane SPC", 2),
        ("CT2", "ABDO PELVIS INJ", 1),
    ]
    assert found[0].suggestions[0].act_code == "CT-ABDOMEN-PELVIS"
    assert found[0].suggestions[0].score == 1.0
    assert found[1].suggestions[0].act_code == "CT-ENCEPHALE"


@pytest.mark.parametrize(
    ("name", "family", "best"),
    [
        ("TAP C+", "ct", "CT-TAP"),
        ("THORAX ABDO PELVIS INJ", "ct", "CT-TAP"),
        ("TDM AP", "ct", "CT-ABDOMEN-PELVIS"),
        ("Crâne sans injection", "ct", "CT-ENCEPHALE"),
        ("Thorax PA", "radiography", "RX-THORAX-PA"),
        ("Thorax Lat", "radiography", "RX-THORAX-PROFIL"),
        ("RACHIS LOMB F", "radiography", "RX-RACHIS-LOMBAIRE-FACE"),
        ("Panoramique dentaire", "dental", "DENT-OPT"),
        ("TEP FDG corps entier", "nuclear_medicine", "NM-TEP-FDG"),
    ],
)
def test_suggestions(ref2011, name, family, best):
    suggestions = suggest_acts(name, ref2011.acts(), family=family)
    assert suggestions and suggestions[0].act_code == best


def test_tap_prefers_the_whole_trunk_over_its_parts(ref2011):
    scores = {s.act_code: s.score for s in suggest_acts("TAP C+", ref2011.acts(), family="ct")}
    assert scores["CT-TAP"] > scores["CT-ABDOMEN-PELVIS"] > scores["CT-THORAX"]
    assert suggest_acts("Genou", ref2011.acts()) == []
