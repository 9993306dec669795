"""Follow-up of interventional patients (issue 6): skin-dose maps, alerts, notifications."""
