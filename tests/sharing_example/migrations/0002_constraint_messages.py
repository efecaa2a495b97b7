from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sharing_example", "0001_initial"),
    ]

    operations = [
        migrations.AlterConstraint(
            model_name="examplerecord",
            name="sharing_example_examplerecord_red_not_all",
            constraint=models.CheckConstraint(
                condition=models.Q(("shared_with_all", True), ("tlp", "red"), _negated=True),
                name="sharing_example_examplerecord_red_not_all",
                violation_error_code="red_shared_with_all",
                violation_error_message="A TLP:RED record cannot be shared with all workspaces.",
            ),
        ),
    ]
