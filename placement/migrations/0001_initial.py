"""The workflow's models move from `matching` to `placement` without touching a row.

Their tables were created by matching.0002_workflow and keep their names (each model
sets `db_table`), so this migration only tells Django's state where the models live
now (`SeparateDatabaseAndState` with no database operations), renames their content
types (so admin history and permissions follow the models) and points notification
links at the new labels. On a new database it runs after matching.0002, which creates
the tables, exactly as on an upgraded one.
"""

import django.core.serializers.json
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["recommendation", "review", "referral", "placement", "waitlistentry", "waitlistoffer"]


def _relabel(apps, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Notification = apps.get_model("notifications", "Notification")
    for model in MOVED:
        # A content type already made under the new label (none on a real upgrade) wins.
        if not ContentType.objects.filter(app_label=new, model=model).exists():
            ContentType.objects.filter(app_label=old, model=model).update(app_label=new)
        Notification.objects.filter(object_type=f"{old}.{model}").update(
            object_type=f"{new}.{model}"
        )


def _follow_the_models(apps, schema_editor) -> None:
    _relabel(apps, "matching", "placement")


def _back_to_matching(apps, schema_editor) -> None:
    _relabel(apps, "placement", "matching")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('matching', '0002_workflow'),
        ('notifications', '0001_initial'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('accounts', '0001_initial'),
        ('homes', '0002_beds_held'),
        ('survivors', '0002_created_by_optional'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Recommendation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quorum', models.PositiveSmallIntegerField(help_text="Approvals needed: the team's quorum when the recommendation was made.")),
                        ('rationale', models.TextField(max_length=4000)),
                        ('status', models.CharField(choices=[('pending_review', 'Pending MDT review'), ('approved', 'Approved'), ('rejected', 'Rejected'), ('withdrawn', 'Withdrawn')], default='pending_review', max_length=20)),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('decided_at', models.DateTimeField(blank=True, null=True)),
                        ('searched_at', models.DateTimeField()),
                        ('needs', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('home_profile', models.JSONField(encoder=django.core.serializers.json.DjangoJSONEncoder)),
                        ('rank', models.PositiveIntegerField()),
                        ('score', models.FloatField()),
                        ('breakdown', models.JSONField()),
                        ('distance_miles', models.FloatField(blank=True, null=True)),
                        ('stale', models.BooleanField(default=False)),
                        ('feasible_count', models.PositiveIntegerField()),
                        ('crisis_override', models.BooleanField(default=False)),
                        ('crisis_justification', models.TextField(blank=True, max_length=4000)),
                        ('crisis_override_at', models.DateTimeField(blank=True, null=True)),
                        ('crisis_override_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('home', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='homes.home')),
                        ('proposed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='recommendations', to='survivors.survivor')),
                        ('team', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='accounts.team')),
                    ],
                    options={
                        'db_table': 'matching_recommendation',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Referral',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('crisis_override', models.BooleanField(default=False)),
                        ('status', models.CharField(choices=[('pending', 'Waiting for the home'), ('accepted', 'Accepted: beds held'), ('declined', 'Declined'), ('expired', 'Hold expired'), ('withdrawn', 'Withdrawn'), ('placed', 'Placed')], default='pending', max_length=20)),
                        ('beds', models.PositiveSmallIntegerField(help_text="1 + the child's dependents.", validators=[django.core.validators.MinValueValidator(1)])),
                        ('created_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                        ('answered_at', models.DateTimeField(blank=True, null=True)),
                        ('reason_code', models.CharField(blank=True, choices=[('no_bed', 'No bed'), ('staffing', 'Staffing'), ('clinical_fit', 'Clinical fit'), ('safety', 'Safety'), ('eligibility', 'Eligibility'), ('other', 'Other')], max_length=20)),
                        ('comment', models.TextField(blank=True, max_length=4000)),
                        ('hold_expires_at', models.DateTimeField(blank=True, db_index=True, null=True)),
                        ('closed_at', models.DateTimeField(blank=True, null=True)),
                        ('close_reason', models.CharField(blank=True, max_length=300)),
                        ('reminded_at', models.DateTimeField(blank=True, null=True)),
                        ('escalated_at', models.DateTimeField(blank=True, null=True)),
                        ('expiry_warned_at', models.DateTimeField(blank=True, null=True)),
                        ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('closed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('home', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='homes.home')),
                        ('recommendation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='placement.recommendation')),
                        ('referred_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='referrals', to='survivors.survivor')),
                    ],
                    options={
                        'db_table': 'matching_referral',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Placement',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('beds', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(1)])),
                        ('started_at', models.DateTimeField(auto_now_add=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('end_reason', models.CharField(blank=True, choices=[('planned', 'Planned'), ('runaway', 'Runaway'), ('disruption', 'Disruption'), ('reunified', 'Reunified'), ('aged_out', 'Aged out'), ('other', 'Other')], max_length=20)),
                        ('end_comment', models.TextField(blank=True, max_length=4000)),
                        ('discharged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('home', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='placements', to='homes.home')),
                        ('placed_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='placements', to='survivors.survivor')),
                        ('referral', models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name='placement', to='placement.referral')),
                    ],
                    options={
                        'db_table': 'matching_placement',
                        'ordering': ['-started_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='Review',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('decision', models.CharField(choices=[('approve', 'Approve'), ('reject', 'Reject')], max_length=10)),
                        ('comment', models.TextField(blank=True, max_length=4000)),
                        ('after_the_fact', models.BooleanField(default=False, help_text='Given after a crisis override had already sent the referral.')),
                        ('created_at', models.DateTimeField(auto_now_add=True)),
                        ('recommendation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reviews', to='placement.recommendation')),
                        ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'matching_review',
                        'ordering': ['created_at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('added_at', models.DateTimeField(auto_now_add=True)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('added_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('survivor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='waitlist_entries', to='survivors.survivor')),
                    ],
                    options={
                        'verbose_name_plural': 'waitlist entries',
                        'db_table': 'matching_waitlistentry',
                        'ordering': ['-added_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='WaitlistOffer',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('found_at', models.DateTimeField(auto_now_add=True)),
                        ('entry', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='offers', to='placement.waitlistentry')),
                        ('home', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='homes.home')),
                    ],
                    options={
                        'db_table': 'matching_waitlistoffer',
                        'ordering': ['found_at', 'id'],
                    },
                ),
                migrations.AddConstraint(
                    model_name='recommendation',
                    constraint=models.CheckConstraint(condition=models.Q(('crisis_override', False), models.Q(('crisis_justification', ''), _negated=True), _connector='OR'), name='recommendation_crisis_override_justified', violation_error_message='A crisis override needs a justification.'),
                ),
                migrations.AddConstraint(
                    model_name='recommendation',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'pending_review')), fields=('survivor', 'home'), name='recommendation_one_pending_per_home', violation_error_message='This home is already proposed and waiting for review.'),
                ),
                migrations.AddConstraint(
                    model_name='referral',
                    constraint=models.UniqueConstraint(condition=models.Q(('status__in', ['pending', 'accepted'])), fields=('survivor', 'home'), name='referral_one_active_per_home', violation_error_message='This child is already referred to this home.'),
                ),
                migrations.AddConstraint(
                    model_name='referral',
                    constraint=models.UniqueConstraint(condition=models.Q(('status', 'accepted')), fields=('survivor',), name='referral_one_hold_per_survivor', violation_error_message='Beds are already held for this child.'),
                ),
                migrations.AddConstraint(
                    model_name='referral',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'accepted'), _negated=True), ('hold_expires_at__isnull', False), _connector='OR'), name='referral_hold_has_expiry'),
                ),
                migrations.AddConstraint(
                    model_name='referral',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'declined'), _negated=True), models.Q(('reason_code', ''), _negated=True), _connector='OR'), name='referral_decline_has_reason'),
                ),
                migrations.AddConstraint(
                    model_name='referral',
                    constraint=models.CheckConstraint(condition=models.Q(('beds__gte', 1)), name='referral_beds_positive'),
                ),
                migrations.AddConstraint(
                    model_name='placement',
                    constraint=models.UniqueConstraint(condition=models.Q(('ended_at__isnull', True)), fields=('survivor',), name='placement_one_active_per_survivor', violation_error_message='This child is already placed.'),
                ),
                migrations.AddConstraint(
                    model_name='placement',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('end_reason', ''), ('ended_at__isnull', True)), models.Q(('ended_at__isnull', False), models.Q(('end_reason', ''), _negated=True)), _connector='OR'), name='placement_end_has_reason'),
                ),
                migrations.AddConstraint(
                    model_name='review',
                    constraint=models.UniqueConstraint(fields=('recommendation', 'reviewer'), name='review_one_per_member', violation_error_message='You have already reviewed this recommendation.'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistentry',
                    constraint=models.UniqueConstraint(condition=models.Q(('ended_at__isnull', True)), fields=('survivor',), name='waitlist_one_open_entry_per_survivor'),
                ),
                migrations.AddConstraint(
                    model_name='waitlistoffer',
                    constraint=models.UniqueConstraint(fields=('entry', 'home'), name='waitlist_offer_once_per_home'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(_follow_the_models, _back_to_matching),
    ]
