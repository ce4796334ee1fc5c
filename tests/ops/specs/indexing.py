"""Specs of indexing."""

from __future__ import annotations

SPECS: list = []
