"""``central issue-receipts``: issue every validated claim (of one association, or all), as
the back office's "issue" action does; with ``--annual YEAR``, one annual receipt per donor
of that year instead, as the back office's annual receipts page does. Safe to run in several
processes at once."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from central.catalog.models import Association
from central.claims import annual, services
from central.claims.models import Claim


class Command(BaseCommand):
    help = "Issue the tax receipts of validated claims (numbered, PDF, emailed)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--association", help="only this association's claims (name)")
        parser.add_argument("--base-url", default=getattr(settings, "CENTRAL_PUBLIC_URL", ""),
                            help="this service's public URL, for the links in the emails")
        parser.add_argument("--annual", type=int, metavar="YEAR",
                            help="issue annual receipts for the gifts of YEAR (needs "
                                 "--association)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["annual"] is not None:
            if not options["association"]:
                raise CommandError("--annual needs --association")
            association = Association.objects.get(name=options["association"])
            for receipt in annual.issue_annual(None, association, options["annual"],
                                               options["base_url"],
                                               command="central issue-receipts"):
                self.stdout.write(f"annual receipt {receipt.receipt_number}: "
                                  f"{receipt.claims.count()} gifts")
            return
        claims = Claim.objects.filter(status=Claim.VALIDATED)
        if options["association"]:
            claims = claims.filter(association__name=options["association"])
        for pk in list(claims.order_by("filed_at").values_list("pk", flat=True)):
            try:
                claim, now = services.issue(pk, options["base_url"], None,
                                            command="central issue-receipts")
            except services.NotIssuable as e:
                self.stderr.write(f"claim {pk}: {e}")
            else:
                if now:  # not when another process issued it first
                    self.stdout.write(f"claim {pk}: receipt {claim.receipt_number}")
