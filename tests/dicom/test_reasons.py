"""Why a file is refused: a code with its parameters, worded in French and English."""

import pytest

from kerma.dicom.reader import read_dose_object
from kerma.dose import DoseObjectError
from kerma.units import Dimension, UnitError, to_canonical


def test_not_dicom_is_a_code_worded_in_both_languages():
    with pytest.raises(DoseObjectError) as caught:
        read_dose_object(b"this is a spreadsheet, not an image" * 10)
    notice = caught.value.notice
    assert notice.code == "dicom.not_dicom"
    assert str(caught.value).startswith("not a DICOM file")
    assert notice.text("fr").startswith("pas un fichier DICOM")


def test_unit_errors_keep_their_parameters():
    with pytest.raises(UnitError) as caught:
        to_canonical(3.0, "mGy", Dimension.DAP)
    notice = caught.value.notice
    assert notice.code == "units.wrong_dimension"
    assert notice.params["unit"] == "mGy"
    assert "n'est pas une unité de dap" in notice.text("fr")
    assert "'mGy' is not a unit of dap" in notice.text("en")
