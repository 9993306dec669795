"""Interventional follow-up rules over plain records: which indicators reach the thresholds."""
