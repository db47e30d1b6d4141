"""Mass recovery: one exact plan for a batch of children (OR-Tools CP-SAT).

The caller has already run the matching engine for each child: a `PlanChild` lists
the homes it may go to with their scores. This package only decides who goes where.
Pure: no Django, nothing of the project; the clock is read only to measure seconds.
`types` holds the problem and the result, `units` turns the problem into units placed as
one and reads a plan back (with why each unplaced child is), `solve` finds the plan:
`plan_solve` the exact one, `plan_greedy` the one-at-a-time baseline.

The plan honours every constraint of the batch:

- each child gets at most one home;
- no home gets more children than its free beds or its staff room (`min(beds,
  staff_room)`): a child takes `1 + dependents` of each;
- keep-together children share one home or are all unplaced. We chose "all unplaced"
  over "place as many of them as fit": a group is siblings, and splitting them is the
  very harm the batch exists to prevent; an unplaced group is a visible call for the
  MDT, a split one is a quiet one. So a group is solved as one unit whose options are
  the homes every member may go to that hold the whole group, scored by the sum;
- keep-apart pairs never share a home;
- a pinned child gets the pinned home or nothing (a group with a pinned member too).

Objective, lexicographic: the most children placed, then the highest total score.
Placing a child is worth `weight` > the largest possible difference of two plans'
total (integer-scaled) scores, so no gain in score can pay for one child left without
a home, and among plans placing equally many the score decides. We chose this order
because an unplaced child tonight sleeps in a police station or goes back to the
street: a slightly better home for one child is never worth that for another.
Scores are scaled by SCALE and rounded; the engine's scores have one decimal, so the
scaled problem is the real one exactly.
"""

from __future__ import annotations

from .solve import plan_greedy, plan_solve
from .types import PlanChild, PlanHome, PlanOption, PlanProblem, PlanResult

__all__ = [
    "PlanChild",
    "PlanHome",
    "PlanOption",
    "PlanProblem",
    "PlanResult",
    "plan_greedy",
    "plan_solve",
]
