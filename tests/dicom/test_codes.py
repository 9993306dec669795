"""The one coded-concept type: a code is its (value, scheme); the meaning never compares."""

from __future__ import annotations

import copy
import pickle

from kerma.dicom import codes as c
from kerma.dicom.codes import Code


def test_equality_and_lookup_ignore_the_meaning():
    misspelt = Code("113733", "DCM", "kVp (misspelt by a vendor)")
    assert misspelt == c.KVP
    assert (misspelt != c.KVP) is False
    assert hash(misspelt) == hash(c.KVP)
    assert {c.KVP: "kvp"}[misspelt] == "kvp"
    assert misspelt.meaning != c.KVP.meaning


def test_scheme_takes_part_in_the_comparison():
    assert Code("113733", "DCM") != Code("113733", "SRT")
    assert Code("113733", "DCM") == ("113733", "DCM")


def test_fields_and_copies():
    assert (c.KVP.value, c.KVP.scheme, c.KVP.meaning) == ("113733", "DCM", "KVP")
    for copied in (copy.deepcopy(c.KVP), pickle.loads(pickle.dumps(c.KVP))):
        assert copied == c.KVP and copied.meaning == "KVP"
    assert repr(c.KVP) == "Code('113733', 'DCM', 'KVP')"


def test_sct_spellings_normalise_to_the_srt_codes_read():
    assert c.normalise(Code("77477000", "SCT", "CT")) is c.CT_PROCEDURE
    assert c.normalise(c.KVP) is c.KVP
    assert c.normalise(None) is None
    for sct, srt in c.SCT_TO_SRT.items():
        assert c.SRT_TO_SCT[srt.value] == sct


def test_radionuclide_names_cover_both_spellings():
    for name, nuclide in c.RADIONUCLIDES.items():
        assert c.RADIONUCLIDE_NAMES[nuclide.srt] == name
        assert c.RADIONUCLIDE_NAMES[nuclide.sct] == name
