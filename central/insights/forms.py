"""The engagement page's filter (GET): a range of days, a town and, for a network admin, an
association."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from central.backoffice.forms import town_choices
from central.insights.selectors import InsightsFilter

DEFAULT_DAYS = 30


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class InsightsFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To (included)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    association = forms.ModelChoiceField(queryset=None, required=False,
                                         label=_("Association"),
                                         empty_label=_("All associations"))
    town = forms.ChoiceField(required=False, label=_("Town"))

    def __init__(self, *args: object, associations: QuerySet, shops: QuerySet,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = associations
        self.fields["town"].choices = town_choices(shops)
        # « All towns » and one town: nothing to choose.
        self.offers_town = len(self.fields["town"].choices) > 2
        # An association user has their own only: nothing to choose, the field is not shown
        # (still checked: another association's id in the URL is refused).
        self.offers_association = associations.count() > 1

    def clean(self) -> dict:
        data = super().clean()
        today = timezone.localdate()
        data["end"] = data.get("end") or today
        data["start"] = data.get("start") or data["end"] - dt.timedelta(days=DEFAULT_DAYS - 1)
        if data["end"] < data["start"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data

    def chosen(self) -> InsightsFilter:
        d = self.cleaned_data
        return InsightsFilter(start=local_midnight(d["start"]),
                              end=local_midnight(d["end"] + dt.timedelta(days=1)),
                              association=d["association"].pk if d.get("association") else None,
                              town=d.get("town") or None)
