"""Customer escalation cases move from the escalations app to their own (issue 11): state only."""

import django.db.models.deletion
import django.utils.timezone
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('escalations', '0004_history_append_only'),
        ('tickets', '0006_redaction'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # Before escalations forgets the models, so that nothing points at a model that no app has.
    run_before = [('escalations', '0005_cases_moved_out')]

    operations = [
        # The models were the escalations app's (migrations escalations/0002-0004): their tables stay,
        # and only Django's idea of where the models live moves here. 0002 renames the tables.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DailyReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField(unique=True)),
                        ('sent_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('open_cases', models.PositiveIntegerField()),
                        ('recipients', models.JSONField(default=list)),
                    ],
                    options={
                        'db_table': 'escalations_dailyreport',
                        'ordering': ['-day'],
                    },
                ),
                migrations.CreateModel(
                    name='EscalationCase',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('status', django_fsm.FSMField(choices=[('requested', 'Requested'), ('acknowledged', 'Acknowledged'), ('active', 'Active'), ('leadership_review', 'Leadership review'), ('de_escalation_proposed', 'De-escalation proposed'), ('de_escalated', 'De-escalated'), ('closed', 'Closed with the ticket')], db_index=True, default='requested', max_length=50, protected=True)),
                        ('level', models.CharField(choices=[('next_tier', 'The next support tier'), ('sme', 'A subject matter expert'), ('team_leader', 'The team leader'), ('team_manager', 'The team manager'), ('leadership', 'Support leadership')], default='next_tier', help_text='The highest level asked for so far.', max_length=20)),
                        ('reason', models.CharField(choices=[('production_down', 'Production system down'), ('critical_impact', 'Critical business impact'), ('responsiveness', 'Dissatisfied with responsiveness'), ('resolution', 'Dissatisfied with the resolution'), ('other', 'Other')], help_text='The reason of the first request.', max_length=20)),
                        ('requested_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now)),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('communication_mode', models.CharField(blank=True, choices=[('email', 'E-mail'), ('phone', 'Phone call'), ('conference', 'Conference call')], max_length=12)),
                        ('update_every_minutes', models.PositiveIntegerField(blank=True, help_text='Business minutes between updates.', null=True)),
                        ('required_attendees', models.TextField(blank=True)),
                        ('activated_at', models.DateTimeField(blank=True, null=True)),
                        ('brief', models.TextField(blank=True, help_text='The case brief prepared for leadership.')),
                        ('internal_review', models.TextField(blank=True)),
                        ('action_plan_accepted', models.BooleanField(default=False)),
                        ('rca_on_track', models.BooleanField(default=False)),
                        ('de_escalation_note', models.TextField(blank=True)),
                        ('proposed_at', models.DateTimeField(blank=True, null=True)),
                        ('agreed_at', models.DateTimeField(blank=True, null=True)),
                        ('agreement_channel', models.CharField(blank=True, max_length=20)),
                        ('agreement_comment', models.TextField(blank=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('agreed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('brief_ready_engineer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('brief_ready_team_leader', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('brief_ready_team_manager', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('escalation_manager', models.ForeignKey(blank=True, help_text="Primary point of contact (seed 002's Customer Support Engineer).", null=True, on_delete=django.db.models.deletion.PROTECT, related_name='escalation_cases', to=settings.AUTH_USER_MODEL)),
                        ('ticket', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='escalation_cases', to='tickets.ticket')),
                    ],
                    options={
                        'db_table': 'escalations_escalationcase',
                        'ordering': ['-requested_at', '-pk'],
                        'permissions': [('manage_escalationcase', 'Can run customer escalations (escalation manager)'), ('review_escalationcase', 'Can run leadership reviews')],
                    },
                    bases=(django_fsm.FSMModelMixin, models.Model),
                ),
                migrations.CreateModel(
                    name='CaseUpdate',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('mode', models.CharField(choices=[('email', 'E-mail'), ('phone', 'Phone call'), ('conference', 'Conference call')], max_length=12)),
                        ('summary', models.TextField()),
                        ('attendees', models.TextField(blank=True)),
                        ('given_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('was_late', models.BooleanField(default=False)),
                        ('logged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='updates', to='cases.escalationcase')),
                    ],
                    options={
                        'db_table': 'escalations_caseupdate',
                        'ordering': ['given_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='CaseRequest',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('production_down', 'Production system down'), ('critical_impact', 'Critical business impact'), ('responsiveness', 'Dissatisfied with responsiveness'), ('resolution', 'Dissatisfied with the resolution'), ('other', 'Other')], max_length=20)),
                        ('reason_detail', models.TextField(blank=True)),
                        ('level', models.CharField(choices=[('next_tier', 'The next support tier'), ('sme', 'A subject matter expert'), ('team_leader', 'The team leader'), ('team_manager', 'The team manager'), ('leadership', 'Support leadership')], max_length=20)),
                        ('channel', models.CharField(max_length=20)),
                        ('requested_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('problem_statement_correct', models.BooleanField()),
                        ('corrected_problem_statement', models.TextField(blank=True)),
                        ('business_impact', models.TextField()),
                        ('workaround_impractical_because', models.TextField(blank=True)),
                        ('critical_milestone', models.DateField(blank=True, null=True)),
                        ('review_to_complete', models.BooleanField(default=False, help_text="Asked by e-mail: seed 002's review is still to be completed with the customer by the escalation managers (the review fields above are not the customer's answers).")),
                        ('recorded_by', models.ForeignKey(help_text='Who entered it (staff, for a request by phone or e-mail).', on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='requests', to='cases.escalationcase')),
                    ],
                    options={
                        'db_table': 'escalations_caserequest',
                        'ordering': ['requested_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='CaseParticipant',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('next_tier', 'Next tier'), ('sme', 'Subject matter expert'), ('team_leader', 'Team leader'), ('team_manager', 'Team manager'), ('leadership', 'Support leadership'), ('escalation_manager', 'Escalation manager')], max_length=20)),
                        ('engaged_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('engaged_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='participants', to='cases.escalationcase')),
                    ],
                    options={
                        'db_table': 'escalations_caseparticipant',
                        'ordering': ['engaged_at', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='CaseMeeting',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('conference_call', 'Conference call with the customer'), ('internal_review', 'Internal leadership review'), ('stakeholder_meeting', 'Stakeholder meeting')], max_length=24)),
                        ('scheduled_for', models.DateTimeField()),
                        ('attendees', models.TextField()),
                        ('notes', models.TextField(blank=True)),
                        ('outcome', models.TextField(blank=True)),
                        ('recorded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='meetings', to='cases.escalationcase')),
                    ],
                    options={
                        'db_table': 'escalations_casemeeting',
                        'ordering': ['scheduled_for', 'pk'],
                    },
                ),
                migrations.CreateModel(
                    name='ActionItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('step', models.TextField()),
                        ('target_date', models.DateField()),
                        ('done_at', models.DateTimeField(blank=True, null=True)),
                        ('owner', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='action_items', to='cases.escalationcase')),
                    ],
                    options={
                        'db_table': 'escalations_actionitem',
                        'ordering': ['target_date', 'pk'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='escalationcase',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['requested', 'acknowledged', 'active', 'leadership_review', 'de_escalation_proposed'])), fields=('ticket',), name='escalations_one_open_case'),
                ),
                migrations.AddConstraint(
                    model_name='caseparticipant',
                    constraint=models.UniqueConstraint(fields=('case', 'user', 'role'), name='escalations_engaged_once'),
                ),
            ],
            database_operations=[],
        ),
    ]
