"""The back office's forms: page filters (GET) and device actions (POST, with CSRF)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from central.backoffice.selectors import MoneyFilter
from central.common.days import local_midnight
from central.reconciliation.settlement import SettlementError

PROBLEM_CHOICES = [("", _("All devices")), ("any", _("Any problem")),
                   ("silent", _("Silent")), ("backlog", _("Backlog older than 24 h")),
                   ("unknown", _("Unknown outcomes")), ("disk", _("Low disk")),
                   ("revoked", _("Revoked"))]


def town_choices(shops: QuerySet) -> list[tuple[str, str]]:
    """The towns of the shops the user may see, for a filter (any other is refused)."""
    towns = (shops.exclude(town__isnull=True).exclude(town="").order_by("town")
             .values_list("town", flat=True).distinct())
    return [("", _("All towns")), *((t, t) for t in towns)]


class QuickSelect(forms.Select):
    """A select written in one pass in Python: Django renders each option through its own
    template, which for a network's 200 shops cost more than the fleet page's SQL."""

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None,
               renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "", "<option value=\"{}\"{}>{}</option>",
            ((o["value"], mark_safe(" selected") if o["selected"] else "", o["label"])
             for _group, group_options, _index in widget["optgroups"]
             for o in group_options))
        return format_html("<select name=\"{}\"{}>{}</select>", widget["name"],
                           flatatt(widget["attrs"]), options)


class FleetFilterForm(forms.Form):
    town = forms.ChoiceField(required=False, label=_("Town"))
    shop = forms.ModelChoiceField(queryset=None, required=False, label=_("Shop"),
                                  empty_label=_("All shops"), widget=QuickSelect)
    problem = forms.ChoiceField(choices=PROBLEM_CHOICES, required=False, label=_("Problem"))

    def __init__(self, *args: object, shops: QuerySet, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shop"].queryset = shops
        self.fields["town"].choices = town_choices(shops)


class EnrollmentCodeForm(forms.Form):
    expires_days = forms.IntegerField(min_value=1, max_value=90, initial=7,
                                      label=_("Valid for (days)"))


class RevokeForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand: the kiosk stops sending until it is enrolled again"))


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


class DaysFilterForm(forms.Form):
    """What the money and engagement pages' filters (GET) share: a range of days, and the
    association and town among those the user may see (any other is refused)."""

    start = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    end = forms.DateField(label=_("To (included)"), required=False,
                          widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    association = forms.ModelChoiceField(queryset=None, required=False,
                                         label=_("Association"),
                                         empty_label=_("All associations"), widget=QuickSelect)
    town = forms.ChoiceField(required=False, label=_("Town"))

    def __init__(self, *args: object, associations: QuerySet, shops: QuerySet,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = associations
        self.fields["town"].choices = town_choices(shops)

    def default_start(self, end: dt.date, today: dt.date) -> dt.date:
        """The first day when none is given: each page says (a subclass's hook)."""
        raise NotImplementedError

    def clean(self) -> dict:
        data = super().clean()
        data["end"] = data.get("end") or timezone.localdate()
        data["start"] = data.get("start") or self.default_start(data["end"],
                                                                timezone.localdate())
        if data["end"] < data["start"]:
            raise forms.ValidationError(_("The end date is before the start date."))
        return data

    def moments(self) -> tuple[dt.datetime, dt.datetime]:
        """From the first day's local midnight to the one after the last day (the form must
        be valid)."""
        d = self.cleaned_data
        return local_midnight(d["start"]), local_midnight(d["end"] + dt.timedelta(days=1))


class MoneyFilterForm(DaysFilterForm):
    by = forms.ChoiceField(label=_("Group by"), required=False, initial="project",
                           choices=[("project", _("Project")),
                                    ("association", _("Association")),
                                    ("shop", _("Shop")), ("device", _("Kiosk"))])
    period = forms.ChoiceField(label=_("Period"), required=False, initial="month",
                               choices=[("day", _("By day")), ("month", _("By month")),
                                        ("range", _("Whole range"))])
    shop = forms.ModelChoiceField(queryset=None, required=False, label=_("Shop"),
                                  empty_label=_("All shops"), widget=QuickSelect)
    field_order = ["by", "period", "start", "end", "association", "shop", "town"]

    def __init__(self, *args: object, associations: QuerySet, shops: QuerySet,
                 **kwargs: object) -> None:
        super().__init__(*args, associations=associations, shops=shops, **kwargs)
        self.fields["shop"].queryset = shops

    def default_start(self, end: dt.date, today: dt.date) -> dt.date:
        return month_start(today)

    def clean(self) -> dict:
        data = super().clean()
        data["by"] = data.get("by") or "project"
        data["period"] = data.get("period") or "month"
        return data

    def money_filter(self, **fixed: object) -> MoneyFilter:
        """The selection (the form must be valid); ``fixed`` pins what the URL says."""
        d = self.cleaned_data
        chosen = {"association": d["association"].pk if d.get("association") else None,
                  "shop": d["shop"].pk if d.get("shop") else None,
                  "town": d.get("town") or None}
        chosen.update(fixed)
        start, end = self.moments()
        return MoneyFilter(start=start, end=end, **chosen)


# The settlement decoder's problems (central.reconciliation.settlement.PROBLEMS) in the
# visitor's language.
SETTLEMENT_PROBLEMS = {
    "too_large": _("the file is larger than %(mib)s MiB; split it by date"),
    "not_utf8": _("not UTF-8 text (save the file as CSV UTF-8)"),
    "nul": _("the file holds a NUL character: it is not a CSV text file"),
    "empty": _("the file is empty"),
    "header": _("the first line must be the header %(header)s"),
    "too_many": _("more than %(most)s lines; split the file by date"),
    "duplicate": _("reference %(value)s is already on line %(earlier)s"),
    "csv": _("not a well-formed CSV line (%(detail)s)"),
    "no_lines": _("the file has a header but no payment line"),
    "columns": _("expected %(expected)s columns, found %(found)s"),
    "date": _("“%(value)s” is not a date as YYYY-MM-DD"),
    "reference": _("“%(value)s” is neither a donation id (36 characters) nor its 10-digit "
                   "Concert V2 form"),
    "amount": _("“%(value)s” is not an amount such as 12.50 (a point, two decimals, no "
                "currency sign)"),
    "amount_zero": _("the amount must be more than zero"),
    "currency": _("“%(value)s” is not a currency code such as EUR"),
    "auth_code": _("“%(value)s” is not an authorisation code (1 to 64 letters or digits)"),
}


def settlement_problem(error: SettlementError) -> str:
    """A SettlementError in the visitor's language, with its line and column."""
    problem = SETTLEMENT_PROBLEMS[error.kind] % error.params
    if error.line is None:
        return str(problem)
    if error.column:
        return _("line %(line)s, column %(column)s: %(problem)s") % {
            "line": error.line, "column": error.column, "problem": problem}
    return _("line %(line)s: %(problem)s") % {"line": error.line, "problem": problem}


class SettlementUploadForm(forms.Form):
    """The acquirer's settlement file (central.reconciliation.settlement says what it holds);
    the decoder's error, naming the line and column, is the field's error."""

    file = forms.FileField(label=_("Settlement file (CSV)"),
                           help_text=_("Columns: date, terminal_reference, amount, currency, "
                                       "auth_code. At most 2 MiB."))

    def clean_file(self) -> object:
        from central.reconciliation import settlement

        upload = self.cleaned_data["file"]
        if upload.size > settlement.MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MiB; split it by date."))
        data = upload.read()
        try:
            self.lines = settlement.decode(data)
        except settlement.SettlementError as e:
            raise forms.ValidationError(settlement_problem(e)) from None
        self.data_bytes = data
        return upload


class ResolveForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), widget=forms.RadioSelect,
                                 choices=[("approved", _("Charged: count it as approved")),
                                          ("declined", _("Not charged: count it as declined"))])
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=500)
    line = forms.IntegerField(required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, widget=forms.HiddenInput)
