# Outfits: several garments per job (OutfitPart), and the chain of calls between them.

import django.db.models.deletion
import django_tryon.storage
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('django_tryon', '0005_rate_window'),
    ]

    operations = [
        migrations.AddField(
            model_name='tryonjob',
            name='outfit_done',
            field=models.PositiveSmallIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='tryonjob',
            name='outfit_image',
            field=models.ImageField(blank=True, editable=False, storage=django_tryon.storage.get_private_storage, upload_to=django_tryon.storage.upload_to('results')),
        ),
        migrations.AddField(
            model_name='tryonjob',
            name='outfit_size',
            field=models.PositiveSmallIntegerField(default=1, editable=False, verbose_name='garments'),
        ),
        migrations.CreateModel(
            name='OutfitPart',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('position', models.PositiveSmallIntegerField(default=1)),
                ('garment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outfit_parts', to='django_tryon.garment', verbose_name='garment')),
                ('job', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='outfit_parts', to='django_tryon.tryonjob')),
            ],
            options={
                'verbose_name': 'outfit garment',
                'verbose_name_plural': 'outfit garments',
                'ordering': ['position'],
                'constraints': [models.UniqueConstraint(fields=('job', 'position'), name='tryon_outfit_part_position')],
            },
        ),
    ]
