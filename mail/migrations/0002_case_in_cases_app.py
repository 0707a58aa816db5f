"""The inbound message's case is the cases app's model now (issue 11); the column stays."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0001_initial'),
        ('mail', '0001_inbound_messages'),
    ]

    run_before = [('escalations', '0005_cases_moved_out')]

    operations = [
        migrations.AlterField(
            model_name='inboundmessage',
            name='case',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL,
                                    related_name='+', to='cases.escalationcase'),
        ),
    ]
