"""The roles of SPEC §1 as Django groups, and the permissions each one carries.

Permissions are named as strings so this module imports no other app; the groups are
created (and kept in step) after every migrate.
"""

from __future__ import annotations

from .models import Role

_TICKET_READ = ["tickets.view_ticket", "tickets.view_all_tickets", "tickets.view_internal"]
_TICKET_WORK = [
    *_TICKET_READ,
    "tickets.add_ticket",
    "tickets.work_ticket",
    "tickets.view_comment",
    "tickets.add_comment",
    "tickets.view_troubleshootingstep",
    "tickets.add_troubleshootingstep",
    "tickets.view_attachment",
    "tickets.add_attachment",
    "tickets.view_timelineevent",
]

# Team leaders and managers decide gated hand-offs in the console and in Django admin (§5).
_APPROVER = ["approvals.view_approvalrequest", "approvals.decide_approvalrequest", "escalations.view_handoff"]
_LADDER_CONFIG = [
    f"escalations.{action}_{model}"
    for model in ("escalationpath", "serviceladder", "tier", "escalationcriterion", "tiertimeframe")
    for action in ("view", "add", "change", "delete")
]

ROLE_PERMISSIONS: dict[str, list[str]] = {
    Role.CUSTOMER: [
        "tickets.view_ticket",
        "tickets.add_ticket",
        "tickets.add_comment",
        "tickets.add_attachment",
        "tickets.confirm_resolution",
    ],
    Role.ENGINEER: _TICKET_WORK,
    Role.SME: [
        *_TICKET_READ,
        "tickets.add_comment",
        "tickets.add_troubleshootingstep",
        "tickets.add_attachment",
        "tickets.view_timelineevent",
    ],
    Role.TEAM_LEADER: [*_TICKET_WORK, *_APPROVER],
    Role.TEAM_MANAGER: [*_TICKET_WORK, *_APPROVER],
    Role.ESCALATION_MANAGER: [
        *_TICKET_READ,
        "tickets.add_comment",
        "tickets.add_attachment",
        "tickets.view_timelineevent",
        "cases.manage_escalationcase",
    ],
    Role.LEADERSHIP: [
        *_TICKET_READ,
        "tickets.add_comment",
        "tickets.view_timelineevent",
        "cases.review_escalationcase",
    ],
    # The IT manager works the tickets that reach the decision point (seed 001).
    Role.IT_MANAGER: _TICKET_WORK,
    Role.ADMINISTRATOR: [
        *_TICKET_WORK,
        "tickets.work_any_ticket",
        "tickets.redact_history",  # personal data out of comments, steps and files (docs/lifecycle.md)
        "tickets.change_ticket",
        "tickets.view_category",
        "tickets.add_category",
        "tickets.change_category",
        "tickets.view_service",
        "tickets.add_service",
        "tickets.change_service",
        "accounts.view_user",
        "accounts.add_user",
        "accounts.change_user",
        "accounts.view_organisation",
        "accounts.add_organisation",
        "accounts.change_organisation",
        "accounts.view_team",
        "accounts.add_team",
        "accounts.change_team",
        *_LADDER_CONFIG,
        "approvals.view_approvalrequest",
        "mail.view_inboundmessage",  # the inbound e-mail log, read-only (docs/email.md)
        # Login lock-outs (django-axes): see them, and unlock (delete the failed attempts).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accessfailurelog",
        "axes.view_accesslog",
        *[
            f"escalations.view_{model}"
            for model in (
                "handoff",
                "tierstint",
                "consult",
                "vendorengagement",
                "vendorupdate",
                "managerdecision",
            )
        ],
    ],
}


def sync_role_groups(**_: object) -> None:
    """Create the role groups and give each exactly its permissions (idempotent)."""
    from django.contrib.auth.models import Group, Permission

    wanted = {perm for perms in ROLE_PERMISSIONS.values() for perm in perms}
    found = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type").filter(
            codename__in={w.split(".", 1)[1] for w in wanted}
        )
    }
    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=str(role))
        group.permissions.set([found[p] for p in perms if p in found])
