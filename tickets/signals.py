"""What other apps may react to without this app knowing them (escalations places tiers).

`ticket_changed` is sent inside the transaction of the change, with the locked ticket, so a
receiver's writes commit or roll back with it. `change` is the transition name ("triage",
"resolve", "cancel", "close_unconfirmed"…) or "priority_changed".
"""

from django.dispatch import Signal

ticket_changed = Signal()  # kwargs: ticket, change, actor
