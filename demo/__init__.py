"""The demo: a small support organisation and its tickets, played through every app's services.

`manage.py seed_demo` (this app's only command) seeds it; no other app imports this one, and
this one may import every app (`escalation_desk/tests/test_import_rules.py`). One module per part:

- `seeding`: `seed()`, what the command runs (cast, then the stories, then the bulk top-up);
- `cast`: organisations, people, teams, categories, services (`ensure_cast`) and the demo logins;
- `actions`: `DemoTicket` and the action helpers its scripts are written with;
- `stories_data`: the hand-written lifecycle tickets (`DEMO_TICKETS`, data only);
- `stories`: `create_demo_tickets`, which replays them through the services, `Story` and
  `play_stories` (the ladder and case stories are played in the same order);
- `scene`: `Scene`, the stage the ladder and case stories are played on, and `timed_stories`;
- `ladders`: tickets at each rung of the escalation ladders (`ESCALATION_STORIES`), played by
  the scripts of `ladder_scripts`;
- `cases`: customer escalation cases at each state of their life (`CASE_STORIES`), played by
  the scripts of `case_scripts`;
- `progress`: `ProgressBar`.

The bulk tickets for volume (`seed_demo --tickets N`) are `bench.bulk`'s: it reads the cast
and the ticket texts from here.
"""
