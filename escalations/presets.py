"""The seeds' ladders as ready presets (SPEC §3): loaded by `manage.py load_presets` and the
demo. Loading is idempotent and never overwrites what an admin changed: a ladder that exists
by name is left as it is; a missing team is created empty for the admin to staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from tickets.models import Service

from .models import (
    BreachAction,
    EscalationCriterion,
    EscalationPath,
    ServiceLadder,
    Tier,
    TierKind,
    TierTimeFrame,
)

H = 60  # business minutes in an hour


@dataclass(frozen=True)
class TierPreset:
    name: str
    team: str
    kind: str = TierKind.INTERNAL
    criteria: tuple[str, ...] = ()
    minutes: tuple[int, int, int, int] = (4 * H, 8 * H, 16 * H, 40 * H)  # P1..P4
    requires_approval: bool = False
    requires_lower_tiers_documented: bool = False
    requires_evidence: bool = False
    min_steps_below: int = 1
    breach_action: str = BreachAction.AUTO_ESCALATE
    vendor_name: str = ""
    description: str = ""


@dataclass(frozen=True)
class LadderPreset:
    name: str
    description: str
    tiers: tuple[TierPreset, ...]
    services: tuple[str, ...] = field(default=())
    default: bool = False  # also used by services without a ladder of their own


SERVICE_REQUEST = LadderPreset(
    name="Service request escalation",
    description=_(
        "Seed 001 with seed 003's tiers: Tier 1 → Tier 2 → Engineering (Tier 3) → Onsite → "
        "Vendor → IT Manager decision point. Onsite and the vendor need a team leader's approval."
    ),
    default=True,
    tiers=(
        TierPreset(
            "Tier 1",
            "Tier 1",
            minutes=(30, 1 * H, 4 * H, 8 * H),
            min_steps_below=0,
            description=_("First contact: intake, triage, basic troubleshooting, known issues, logs."),
        ),
        TierPreset(
            "Tier 2",
            "Tier 2",
            minutes=(2 * H, 4 * H, 8 * H, 16 * H),
            criteria=(_("Needs more in-depth technical knowledge"), _("Potential bug")),
            description=_("Advanced troubleshooting, root cause analysis, replication in test."),
        ),
        TierPreset(
            "Engineering",
            "Engineering",
            minutes=(4 * H, 8 * H, 24 * H, 40 * H),
            criteria=(
                _("Software bug"),
                _("Requires code changes"),
                _("System performance concern"),
                _("Security concern"),
            ),
            description=_("Tier 3: code-level resolution; updates the knowledge base."),
        ),
        TierPreset(
            "Onsite Support",
            "Onsite Support",
            kind=TierKind.ONSITE,
            minutes=(4 * H, 8 * H, 16 * H, 24 * H),
            requires_approval=True,
            requires_lower_tiers_documented=True,
            requires_evidence=True,
            description=_("Field engineers at the customer's site, after a team leader's approval."),
        ),
        TierPreset(
            "Vendor",
            "Tier 2",
            kind=TierKind.VENDOR,
            minutes=(8 * H, 16 * H, 40 * H, 80 * H),
            requires_approval=True,
            requires_lower_tiers_documented=True,
            requires_evidence=True,
            vendor_name="Vendor support",
            min_steps_below=0,
            description=_("The product's vendor, engaged after approval; Tier 2 liaises."),
        ),
        TierPreset(
            "IT Manager decision",
            "IT Management",
            kind=TierKind.DECISION,
            minutes=(2 * H, 4 * H, 8 * H, 16 * H),
            breach_action=BreachAction.NOTIFY,
            min_steps_below=0,
            description=_("Every tier failed: the IT manager decides with the complete activity record."),
        ),
    ),
)

MICROSOFT = LadderPreset(
    name="Microsoft 365 escalation",
    description=_(
        "Seed 000: L1 → L2 → Microsoft (L3). The L3 hand-off needs L1/L2 troubleshooting documented "
        "with logs and screenshots (or none) and a team leader's approval."
    ),
    services=("E-mail & collaboration",),
    tiers=(
        TierPreset("L1", "Tier 1", minutes=(30, 1 * H, 4 * H, 8 * H), min_steps_below=0),
        TierPreset("L2", "Tier 2", minutes=(2 * H, 4 * H, 8 * H, 16 * H)),
        TierPreset(
            "Microsoft L3",
            "Tier 2",
            kind=TierKind.VENDOR,
            vendor_name="Microsoft",
            minutes=(8 * H, 16 * H, 40 * H, 80 * H),
            requires_approval=True,
            requires_lower_tiers_documented=True,
            requires_evidence=True,
            min_steps_below=1,
            breach_action=BreachAction.NOTIFY,
            description=_("Microsoft Support, engaged after the team leader approved."),
        ),
    ),
)

PRESETS = (SERVICE_REQUEST, MICROSOFT)


def load_preset(preset: LadderPreset) -> tuple[EscalationPath, bool]:
    """Create the ladder unless one of that name exists; returns (path, created)."""
    with transaction.atomic():
        path = EscalationPath.objects.filter(name=preset.name).first()
        if path is not None:
            return path, False
        path = EscalationPath.objects.create(name=preset.name, description=preset.description)
        for level, spec in enumerate(preset.tiers, start=1):
            team, _created = Team.objects.get_or_create(name=spec.team)
            tier = Tier.objects.create(
                path=path,
                name=spec.name,
                level=level,
                team=team,
                kind=spec.kind,
                description=spec.description,
                requires_approval=spec.requires_approval,
                vendor_name=spec.vendor_name,
                min_steps_below=spec.min_steps_below,
                requires_lower_tiers_documented=spec.requires_lower_tiers_documented,
                requires_evidence=spec.requires_evidence,
                breach_action=spec.breach_action,
            )
            EscalationCriterion.objects.bulk_create(
                EscalationCriterion(tier=tier, text=text, position=i) for i, text in enumerate(spec.criteria)
            )
            TierTimeFrame.objects.bulk_create(
                TierTimeFrame(tier=tier, priority=priority, minutes=minutes)
                for priority, minutes in zip(("P1", "P2", "P3", "P4"), spec.minutes, strict=True)
            )
        return path, True


def load_presets() -> list[tuple[EscalationPath, bool]]:
    """Every preset ladder, and each service without a ladder put on its preset (or the default)."""
    results = [load_preset(preset) for preset in PRESETS]
    paths = {preset.name: path for preset, (path, _created) in zip(PRESETS, results, strict=True)}
    default = next(paths[p.name] for p in PRESETS if p.default)
    named = {service: paths[p.name] for p in PRESETS for service in p.services}
    for service in Service.objects.filter(ladder__isnull=True):
        ServiceLadder.objects.get_or_create(
            service=service, defaults={"path": named.get(service.name, default)}
        )
    return results
