"""Every change to a ticket's place on its ladder goes through a function of these modules
(SPEC §3–§5); what they read of a ladder is in escalations.selectors.

- tiers: the ticket's stints (placed at triage, moved by a completed hand-off, retimed on a
  priority change) and what a ticket must be to move.
- handoffs: escalate, return, withdraw a hand-off; where the caller believed the ticket was.
- approval_gate: a requested hand-off completed or stopped at a gated tier; the approvals
  app's callbacks (decided, before approval, decision time frame).
- time_frames: a tier's time frame at its warning point or passed; automatic escalation.
- consults: ask another team, its reply, withdrawal, the reply's time frame.
- vendor: the vendor's case and its updates.
- decisions: the IT manager's decision when every tier failed.
- listener: the ticket's lifecycle signal (triage, priority change, ticket finished).
"""
