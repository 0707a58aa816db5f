"""The bulk loader's tables (`bench.bulk`): the mix of states bulk tickets end in, and the texts
it draws their sites, troubleshooting steps, comments, resolutions and waits from."""

from __future__ import annotations

from tickets.models import Status, StepKind

# Target share of each state among bulk tickets (roughly a real desk: most work is finished).
STATE_MIX: list[tuple[str, int]] = [
    (Status.NEW, 7),
    (Status.OPEN, 9),
    (Status.IN_PROGRESS, 18),
    (Status.WAITING_ON_CUSTOMER, 9),
    (Status.RESOLVED, 10),
    (Status.CLOSED, 40),
    (Status.CANCELLED, 7),
]

SITES = [
    "London office",
    "Manchester depot",
    "Bristol HQ",
    "Edinburgh branch",
    "Leeds clinic",
    "Frankfurt branch",
    "LHR-2 depot",
    "Salford clinic",
    "Bolton clinic",
    "remote staff",
    "finance team",
    "night shift",
    "warehouse",
    "reception",
    "field engineers",
]

STEP_TEXTS: list[tuple[str, str, str]] = [
    (
        StepKind.BASIC_CHECK,
        "Checked service health and the user's session.",
        "Service up; issue is specific to the affected users.",
    ),
    (
        StepKind.CONFIGURATION,
        "Verified the relevant configuration against the baseline.",
        "One setting differs from the baseline; noted.",
    ),
    (
        StepKind.LOG_ANALYSIS,
        "Analysed application and gateway logs for the reported time window.",
        "Errors found matching the reported symptoms.",
    ),
    (
        StepKind.KNOWN_ISSUE,
        "Searched the knowledge base and vendor advisories.",
        "Possible match with a known issue; comparing versions.",
    ),
    (
        StepKind.REMOTE_SESSION,
        "Remote screen-sharing session with the user.",
        "Observed the problem live and captured screenshots.",
    ),
    (
        StepKind.REPLICATION,
        "Tried to replicate in the test environment.",
        "Reproduced with production-like data.",
    ),
    (
        StepKind.ROOT_CAUSE,
        "Root cause analysis with the owning team.",
        "Cause identified; fix being prepared.",
    ),
    (StepKind.WORKAROUND, "Provided a temporary workaround.", "Customer can continue working."),
]

PUBLIC_COMMENTS = [
    "Thanks for the details, we are looking into it now.",
    "We have reproduced the problem and are working on a fix.",
    "Could you tell us whether other colleagues are affected too?",
    "A workaround is in place while we prepare a permanent fix.",
    "We will update you again by the end of the day.",
]
CUSTOMER_COMMENTS = [
    "It happened again this morning at around 09:15.",
    "Here is the information you asked for.",
    "Any update? This is holding up the team.",
    "Thanks, the workaround helps for now.",
]
INTERNAL_COMMENTS = [
    "Looks similar to last month's incident; check the change log.",
    "Consulted DBA: no locking issues on their side.",
    "Customer is sensitive about this one; keep updates frequent.",
    "Network Operations confirmed no outage in that window.",
]
RESOLUTIONS = [
    ("Configuration corrected and verified with the customer.", "Configuration drift after a change."),
    ("Patch applied; problem no longer reproducible.", "Software defect fixed in the latest patch."),
    ("Permissions re-granted to the correct group.", "Group membership changed during a re-organisation."),
    ("Cache cleared and job rescheduled.", "Stale cache after deployment."),
    ("Certificate chain completed on the servers.", "Missing intermediate certificate."),
]
WAIT_REASONS = [
    "Please send a screenshot of the error and the time it happened.",
    "Please confirm the affected usernames.",
    "Please attach the application log from an affected PC.",
    "Please confirm whether the workaround is acceptable until the fix.",
]
