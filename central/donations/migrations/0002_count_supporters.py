"""Projects' supporters start from the approved donations already stored (the batch ingest
keeps the count from then on, in the same transaction as each insert)."""

from typing import Any

from django.db import migrations
from django.db.models import Count, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def count(apps: Any, schema_editor: Any) -> None:
    project = apps.get_model("catalog", "Project")
    donation = apps.get_model("donations", "Donation")
    approved = (donation.objects.filter(project=OuterRef("pk"), state="approved")
                .order_by().values("project").annotate(n=Count("pk")).values("n"))
    project.objects.update(supporters=Coalesce(Subquery(approved), Value(0)))


class Migration(migrations.Migration):
    dependencies = [("donations", "0001_initial"), ("catalog", "0003_project_supporters")]
    operations = [migrations.RunPython(count, migrations.RunPython.noop)]
