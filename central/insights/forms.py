"""The engagement page's filter (GET): a range of days, a town and, for a network admin, an
association."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from central.backoffice.forms import DaysFilterForm
from central.insights.selectors import InsightsFilter

DEFAULT_DAYS = 30


class InsightsFilterForm(DaysFilterForm):
    def __init__(self, *args: object, associations: QuerySet, shops: QuerySet,
                 **kwargs: object) -> None:
        super().__init__(*args, associations=associations, shops=shops, **kwargs)
        # « All towns » and one town: nothing to choose.
        self.offers_town = len(self.fields["town"].choices) > 2
        # An association user has their own only: nothing to choose, the field is not shown
        # (still checked: another association's id in the URL is refused).
        self.offers_association = associations.count() > 1

    def default_start(self, end: dt.date, today: dt.date) -> dt.date:
        return end - dt.timedelta(days=DEFAULT_DAYS - 1)

    def chosen(self) -> InsightsFilter:
        d = self.cleaned_data
        start, end = self.moments()
        return InsightsFilter(start=start, end=end,
                              association=d["association"].pk if d.get("association") else None,
                              town=d.get("town") or None)
