"""The hand-written demo tickets (data only): each one with its script of actions.

One module per theme, by the state the story leaves its ticket in: `at_work` (in progress,
waiting on the customer), `finished` (resolved, closed) and `before_work` (open, new,
cancelled). `DEMO_TICKETS` keeps them in that order; the first ticket is the demo set's marker
(see `demo.stories.MARKER_SUMMARY`).
"""

from __future__ import annotations

from ..actions import DemoTicket
from .at_work import AT_WORK
from .before_work import BEFORE_WORK
from .finished import FINISHED

DEMO_TICKETS: list[DemoTicket] = [*AT_WORK, *FINISHED, *BEFORE_WORK]
