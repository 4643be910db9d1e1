"""Jobs keep one index per lookup: the indexes that a composite index already leads with
(the garment, the batch, the fingerprint) go, and so do the LIKE twins Postgres made for
the fingerprint and the owner. Each index costs every write that moves a job."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("django_tryon", "0009_garment_image_digests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="tryonjob",
            name="batch",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="jobs",
                to="django_tryon.tryonbatch",
            ),
        ),
        migrations.AlterField(
            model_name="tryonjob",
            name="fingerprint",
            field=models.CharField(editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="tryonjob",
            name="garment",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="jobs",
                to="django_tryon.garment",
                verbose_name="garment",
            ),
        ),
        migrations.AlterField(
            model_name="tryonjob",
            name="owner",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddIndex(
            model_name="tryonjob",
            index=models.Index(fields=["owner"], name="tryon_job_owner"),
        ),
    ]
