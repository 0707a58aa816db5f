"""Customer escalation cases are the cases app's now (issue 11): forget their models here, keep
their tables and rows (cases/0002 renames the tables). The append-only trigger on case updates
is dropped here and installed again on the renamed table by the cases app."""

import pgtrigger.migrations
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('escalations', '0004_history_append_only'),
    ]

    operations = [
        pgtrigger.migrations.RemoveTrigger(model_name='caseupdate', name='append_only'),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveConstraint(model_name='caseparticipant', name='escalations_engaged_once'),
                migrations.RemoveConstraint(model_name='escalationcase', name='escalations_one_open_case'),
                migrations.DeleteModel(name='ActionItem'),
                migrations.DeleteModel(name='CaseMeeting'),
                migrations.DeleteModel(name='CaseParticipant'),
                migrations.DeleteModel(name='CaseRequest'),
                migrations.DeleteModel(name='CaseUpdate'),
                migrations.DeleteModel(name='DailyReport'),
                migrations.DeleteModel(name='EscalationCase'),
            ],
            database_operations=[],
        ),
    ]
