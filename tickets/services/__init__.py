"""Every change to a ticket goes through a service here (SPEC §2, §10), one module per capability:

- `core`: what every service shares: `lock_ticket` (the one ticket lock), `record_event` (the
  timeline's writer), `FINAL_STATES` and small input checks.
- `intake`: `ticket_create`, `ticket_update_intake` (priority changes retarget the clocks) and
  `ticket_correct_statement` (the customer corrects their statement).
- `lifecycle`: the transitions of SPEC §2, one `ticket_<transition>` each, run by one shared
  runner and named in `TRANSITION_SERVICES`; the system's `ticket_close_unconfirmed` and
  `ticket_hand_over` (a tier hand-off).
- `conversation`: `ticket_comment` (replies and internal notes) and `ticket_mark_seen`.
- `assignment`: `ticket_assign`.
- `watchers`: `ticket_follow`, `ticket_unfollow`, `ticket_add_cc`, `ticket_remove_cc`.
- `steps`: troubleshooting steps, `ticket_add_step` and `ticket_complete_step`.
- `attachments`: `validate_upload`, `store_attachment` and `ticket_attach`.
- `timeframes`: `ticket_clock_event` (a time frame's warning or breach).

Each service opens a transaction, locks the ticket row, checks the actor's permission and the
change's guards, changes state, saves, and writes its timeline event in the same transaction.
A refusal raises before anything is saved, so nothing is half-done. The history of a ticket
(reading its timeline, a step's visibility) is `tickets.history`.
"""
