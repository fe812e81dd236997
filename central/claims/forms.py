"""What a donor types on their phone to ask for a tax receipt, and nothing more."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from central.catalog.models import Association
from central.claims.models import Claim


class ClaimForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = ["name", "address", "email"]
        labels = {"name": _("Full name"), "address": _("Postal address"),
                  "email": _("Email")}
        help_texts = {"address": _("As it should appear on the tax receipt.")}
        widgets = {
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
            "address": forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True  # blank only once withdrawn after issue


class AnnualIssueForm(forms.Form):
    """The association (among those the user may act for) and the year of the gifts."""

    association = forms.ModelChoiceField(queryset=None, label=_("Association"))
    year = forms.IntegerField(label=_("Year of the gifts"), min_value=2000, max_value=9999)

    def __init__(self, associations: QuerySet[Association], *args: object,
                 **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["association"].queryset = associations
        if associations.count() == 1:
            self.fields["association"].initial = associations.get()
