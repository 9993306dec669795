"""Reference sets in the database: import (validated, versioned, audited), choice, supplements.

The values in these files are test numbers, labelled as such: never regulatory values.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from nrdweb_factories import PERIOD, projection

from kerma.reference.loader import ReferenceSetError
from kerma.web.audit.models import AuditEntry
from kerma.web.nrd.models import StoredReferenceSet
from kerma.web.nrd.references import (
    active_reference,
    describe_sets,
    import_reference,
    use_reference,
)
from kerma.web.nrd.services import add_mapping, run_evaluation, save_evaluation

pytestmark = pytest.mark.django_db

HEADER = "act_code,act_label,modality,population,category,quantity,unit,nrd,vgd,phantom_cm,source\n"
LOCAL_CT = HEADER + (
    "CT-TAP,Thorax-abdomen-pelvis,ct,adult,,ctdivol,mGy,15,10,32,test value only\n"
    "CT-TAP,Thorax-abdomen-pelvis,ct,adult,,dlp,mGy.cm,800,600,32,test value only\n"
)
BAD = HEADER + (
    "CT-TAP,Thorax-abdomen-pelvis,ct,adult,,ctdivol,mGy,15,10,32,test\n"
    "CT-TAP,Thorax-abdomen-pelvis,ct,adult,,ctdivol,mGy,12,,32,test\n"  # duplicate
    "CT-TAP,Thorax-abdomen-pelvis,ct,adult,,dlp,mGy.cm,600,800,32,test\n"  # NRD < VGD
    "CT-TETE,Tête,ct,adult,,dlp,mGy.cm2,900,,32,test\n"  # wrong unit
    "CT-COU,Cou,ct,adult,,dlp,mGy.cm,900,,32,\n"  # no source
)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_validates_versions_and_audits(tmp_path):
    path = write(tmp_path, "local-ct.csv", LOCAL_CT)
    first = import_reference(path, by="phys", citation="Local test values, not regulatory")
    assert (first.name, first.version, first.row_count, first.value_count) == ("local-ct", 1, 2, 2)
    second = import_reference(path, by="phys2")
    assert second.version == 2 and first.sha256 == second.sha256
    entries = AuditEntry.objects.filter(object_type="reference_set")
    assert [(e.action, e.actor) for e in entries] == [("import", "phys"), ("import", "phys2")]
    assert "csv_text" not in entries[0].after and entries[0].after["name"] == "local-ct"
    with pytest.raises(PermissionDenied, match="never changed"):
        first.citation = "edited"
        first.save()
    names = [(r["name"], r["origin"]) for r in describe_sets()]
    assert ("local-ct", "loaded") in names and ("local-ct", "loaded (older version)") in names
    assert ("fr-2019-DC-0667", "shipped") in names


def test_invalid_files_list_every_problem_and_store_nothing(tmp_path):
    with pytest.raises(ReferenceSetError) as error:
        import_reference(write(tmp_path, "bad.csv", BAD), by="phys")
    problems = [(p.line, p.field) for p in error.value.problems]
    assert (3, "act_code") in problems  # duplicate of line 2
    assert (4, "vgd") in problems  # NRD ≥ VGD
    assert (5, "unit") in problems
    assert (6, "source") in problems
    assert "NRD" in str(error.value) and "duplicate of line 2" in str(error.value)
    with pytest.raises(ReferenceSetError, match="shipped with Kerma"):
        import_reference(write(tmp_path, "fr-2011-arrete.csv", LOCAL_CT), by="phys")
    assert not StoredReferenceSet.objects.exists()
    assert not AuditEntry.objects.exists()


def test_choose_a_loaded_set_for_ct_and_evaluate_with_it(tmp_path, make_device, make_exam):
    import_reference(write(tmp_path, "local-ct.csv", LOCAL_CT), by="phys")
    use_reference("local-ct", by="ran", family="ct")
    assert active_reference("ct").name == "local-ct"
    assert active_reference("radiography").name == "fr-2019-DC-0667"
    ct = make_device("ct-1", "ct")
    add_mapping(by="p", pattern="TAP", act_code="CT-TAP", device=ct)
    helix = {"kind": "ct", "acquisition_type": "spiral", "protocol": "TAP", "phantom_cm": 32}
    make_exam(
        ct,
        "c1",
        date(2024, 3, 1),
        modality="CT",
        procedure="TAP",
        events=[{**helix, "uid": "h1", "ctdivol_mgy": 12.0, "dlp_mgycm": 700.0}],
    )
    evaluation = save_evaluation(run_evaluation(ct, "CT-TAP", **PERIOD), by="phys")
    assert evaluation.reference_set == "local-ct"
    assert evaluation.reference_version.startswith("local-ct v1 sha256:")
    assert [(r["quantity"], r["status"]) for r in evaluation.results] == [
        ("ctdivol", "between"),
        ("dlp", "between"),
    ]
    with pytest.raises(PermissionDenied, match="used by"):
        StoredReferenceSet.objects.get().delete()


def test_a_supplement_completes_the_2019_set(tmp_path, make_device, make_exam):
    supplement = HEADER + (
        "MG-NUMERIQUE,Mammographie numérique,mammography,adult,,agd,mGy,2,,,test value only\n"
    )
    import_reference(write(tmp_path, "mg-test.csv", supplement), by="phys")
    use_reference("fr-2019-DC-0667", by="ran", supplements=["mg-test"])
    active = active_reference("mammography")
    assert active.name == "fr-2019-DC-0667+mg-test" and " + mg-test v1" in active.version
    mammo = make_device("mg-1", "mammography")
    add_mapping(by="p", pattern="MAMMO", act_code="MG-NUMERIQUE", device=mammo)
    make_exam(
        mammo,
        "m1",
        date(2024, 2, 1),
        procedure="MAMMO",
        events=[projection("mg.1", None, agd_mgy=1.5)],
    )
    (result,) = run_evaluation(mammo, "MG-NUMERIQUE", **PERIOD).to_dict()["results"]
    assert (result["nrd"], result["status"]) == (2.0, "below_nrd")
    # a supplement contradicting a value of the set is refused
    contradiction = HEADER + (
        "RX-THORAX-PA,Thorax de face (postéro-antérieur),radiography,adult,,dap,mGy.cm2,"
        "300,150,,test value only\n"
    )
    import_reference(write(tmp_path, "contra.csv", contradiction), by="phys")
    with pytest.raises(ValueError, match="conflicts"):
        use_reference("fr-2019-DC-0667", by="ran", supplements=["contra"])
    with pytest.raises(LookupError, match="no reference set named"):
        use_reference("fr-2031", by="ran")
