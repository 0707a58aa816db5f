"""The case tables take the cases app's names, and their content types move with them, so that
permissions granted on them (the escalation manager's and leadership's), clocks running on a case
and anything else pointing at a content type keep pointing at the same rows."""

from django.db import migrations

MODELS = ["escalationcase", "caserequest", "caseparticipant", "actionitem", "casemeeting", "caseupdate",
          "dailyreport"]


def move_content_types(apps, schema_editor, source="escalations", target="cases"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    db = schema_editor.connection.alias
    for model in MODELS:
        old = ContentType.objects.using(db).filter(app_label=source, model=model).first()
        if old is None:
            continue  # a fresh database: content types are created after migrating
        # A row under the new label (only if something created it before this ran) has no history:
        # the old row, which clocks, deadlines and permissions point at, takes its place.
        for new in ContentType.objects.using(db).filter(app_label=target, model=model):
            Permission.objects.using(db).filter(content_type=new).delete()
            new.delete()
        old.app_label = target
        old.save(update_fields=["app_label"])


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="cases", target="escalations")


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('cases', '0001_initial'),
        ('escalations', '0005_cases_moved_out'),
        ('mail', '0002_case_in_cases_app'),
    ]

    operations = [
        *[migrations.AlterModelTable(name=name, table=None) for name in MODELS],
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
