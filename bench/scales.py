"""Data set sizes (no Django import: the orchestrator reads them too)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    cities: int = 10
    counties_per_city: int = 10
    departments_per_county: int = 20
    towns_per_county: int = 12
    villages_per_town: int = 15
    grids_per_village: int = 2
    cases: int = 1_000_000
    commitments: int = 100_000
    years: int = 2


FULL = Scale("full")
QUICK = Scale(
    "quick",
    towns_per_county=8,
    villages_per_town=10,
    grids_per_village=0,
    cases=100_000,
    commitments=10_000,
)
TINY = Scale(
    "tiny",
    cities=2,
    counties_per_city=2,
    departments_per_county=4,
    towns_per_county=2,
    villages_per_town=3,
    grids_per_village=1,
    cases=300,
    commitments=30,
)
SCALES = {s.name: s for s in (FULL, QUICK, TINY)}
