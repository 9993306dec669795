"""Kerma: patient dose management for medical imaging."""

__version__ = "0.1.0"
