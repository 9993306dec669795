"""The people of a unit in the web application: training register, device training,
workstation qualification, staff exposure assessments and dosimeter readings (issue 14)."""
