"""Customer escalation cases (SPEC §6, seeds 000 and 002): every change goes through here, one
module per capability; import the module you need (there is no re-export).

- `core`: what the capabilities share (the clocks' kinds, `Review` and `PlanItem`, who manages
  and who leads, the case lock, the case's staff and customer audiences, the open case).
- `requests`: asking to escalate (`case_request`), with seed 002's review.
- `participants`: engaging people on a case (`case_engage`).
- `plans`: acknowledging a case and agreeing its action and communication plans (`case_activate`).
- `updates`: updates against the communication plan, meetings and action items.
- `review`: the leadership review and its brief (seed 000).
- `de_escalation`: proposing and answering de-escalation, and a case closing with its ticket.
- `clocks`: the acknowledgement and update clocks and their handlers.
- `daily_report`: the business-day report of the open escalations.

Each service locks the ticket row first (the lock every ticket service takes), then the case,
checks who may act and what the step needs, changes state (through
`escalation_desk.state.change_state`) and writes its timeline event in the same transaction.
Refusals list what is missing. Two clocks per case: the acknowledgement time frame and, once a
communication plan is agreed, the time until the next update.
"""
