"""The quality system of decision ASN 2019-DC-0660 (CSP R.1333-70), as pure rules.

- :mod:`.dates`: calendar arithmetic (months added with the end of month kept);
- :mod:`.equipment`: control and maintenance due dates from periodicities entered by the unit
  (each with the ANSM decision it comes from), overdue, the acceptance-test rule;
- :mod:`.events`: the unit's criteria for a systemic analysis and for a declaration to the
  authority (configurable data with their source), the declaration deadline, the register review;
- :mod:`.risks`: risk score likelihood × severity before and after barriers;
- :mod:`.actions`: the one action programme, its statuses and what is overdue.

No Django here; findings meant for users are :class:`kerma.notices.Notice` worded in
:mod:`.wording`.
"""

from kerma.quality import wording as wording  # noqa: F401 - declares the notice codes
