"""The problem a batch's plan solves, and the plan."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True)
class PlanOption:
    """A feasible home for the child and its score."""

    home: int
    score: float


@dataclass(frozen=True)
class PlanChild:
    """A child of the batch; `beds` = 1 + dependents (staffing counts them all)."""

    id: int
    beds: int
    options: tuple[PlanOption, ...]


@dataclass(frozen=True)
class PlanHome:
    """A home's free beds and the residents the staff on duty can still take."""

    id: int
    beds: int
    staff_room: int


@dataclass(frozen=True)
class PlanProblem:
    children: tuple[PlanChild, ...]  # intake order: the greedy baseline's order
    homes: tuple[PlanHome, ...]
    keep_together: tuple[tuple[int, ...], ...] = ()
    keep_apart: tuple[tuple[int, int], ...] = ()
    pins: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    # How a reason names each child to its reader ("case KS-0917"); the id when absent.
    names: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PlanResult:
    assignments: Mapping[int, int | None]  # child id -> home id or None
    reasons: Mapping[int, str]  # child id -> why unplaced (unplaced children only)
    total_score: float
    placed: int
    optimal: bool
    gap: float
    seconds: float
