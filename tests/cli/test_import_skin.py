"""`kerma import` says, per vendor family, how the events of the new skin-dose maps fared."""

from __future__ import annotations

import json
import shutil

from tests.cli.test_main import run_kerma
from tests.conftest import SHARED_RDSR, needs_shared


@needs_shared
def test_import_reports_skin_dose_events_per_vendor_family(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("RF-RDSR-Philips_Allura.dcm", "siemens_axiom_example_procedure.dcm",
                 "RF-RDSR-Siemens-Zee.dcm"):
        shutil.copy(SHARED_RDSR / name, inbox / name)
    home = tmp_path / "home"
    done = run_kerma(home, "import", str(inbox), "--json")
    assert done.returncode == 0, done.stderr
    skin = json.loads(done.stdout)["skin_dose"]
    assert {"Philips Allura", "Siemens AXIOM-Artis"} <= set(skin)
    for family, tally in skin.items():
        assert tally["procedures"] >= 1, family
        assert tally["mapped"] + tally["estimated"] > 0, family
    # the Zee report gives no field size: its field comes from DAP / Ka,r
    assert sum(t["field_derived"] for t in skin.values()) > 0
    table = run_kerma(home, "import", str(inbox))  # duplicates: no new map, no table
    assert "Skin-dose maps by vendor family" not in table.stdout
