"""Stored searches keep how many exclusion zones the child had, not where they lie
(finding 7 of issue 12: a trafficker's area was copied into every search).

Not reversible in substance: the zones are not copied back (they stay, encrypted, on
the survivor's record); rolling back leaves the counts.
"""

from django.db import migrations

BATCH = 1000


def count_zones(apps, schema_editor) -> None:
    MatchSearch = apps.get_model("matching", "MatchSearch")
    changed = []
    for search in MatchSearch.objects.only("id", "needs").order_by("id").iterator(BATCH):
        zones = search.needs.get("exclusion_zones") if isinstance(search.needs, dict) else None
        if isinstance(zones, list):
            search.needs = {**search.needs, "exclusion_zones": len(zones)}
            changed.append(search)
        if len(changed) >= BATCH:
            MatchSearch.objects.bulk_update(changed, ["needs"])
            changed = []
    MatchSearch.objects.bulk_update(changed, ["needs"])


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0003_move_workflow_to_placement"),
    ]

    operations = [
        migrations.RunPython(count_zones, migrations.RunPython.noop, elidable=False),
    ]
