"""What a person types on their phone to volunteer: a first name and one way to reach them."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

PHONE = re.compile(r"\+?[0-9]{6,15}")


def reach(value: str) -> tuple[str, str]:
    """``("email", address)`` or ``("phone", digits)``, or ValidationError."""
    value = value.strip()
    if "@" in value:
        validate_email(value)
        return "email", value.lower()
    digits = re.sub(r"[\s.()-]", "", value)
    if PHONE.fullmatch(digits) is None:
        raise ValidationError(_("Enter an email address or a phone number."))
    return "phone", digits


class FocusFirstError(forms.Form):
    """A form sent back with errors puts the cursor in the first field to fix (a screen
    reader reads that field's label and its error first)."""

    def full_clean(self) -> None:
        super().full_clean()
        first = next((name for name in self.fields if name in self.errors), None)
        if first is not None:
            self.fields[first].widget.attrs["autofocus"] = True


class SignupForm(FocusFirstError):
    first_name = forms.CharField(
        label=_("First name"), max_length=100,
        error_messages={"required": _("Enter your first name.")},
        widget=forms.TextInput(attrs={"autocomplete": "given-name",
                                      "autocapitalize": "words"}))
    contact = forms.CharField(
        label=_("Email or phone"), max_length=254,
        help_text=_("Only the association sees it, to reach you about this."),
        error_messages={"required": _("Enter an email address or a phone number.")},
        widget=forms.TextInput(attrs={"autocomplete": "email", "inputmode": "email"}))

    def clean_first_name(self) -> str:
        name = self.cleaned_data["first_name"].strip()
        if not name:
            raise ValidationError(_("Enter your first name."))
        return name

    def clean_contact(self) -> tuple[str, str]:
        try:
            return reach(self.cleaned_data["contact"])
        except ValidationError:
            raise ValidationError(_("Enter an email address or a phone number.")) from None


class PledgeForm(FocusFirstError):
    email = forms.EmailField(
        label=_("Email"), max_length=254,
        help_text=_("We send you a link: your pledge counts once you follow it."),
        error_messages={"required": _("Enter your email address."),
                        "invalid": _("Enter a valid email address, like name@example.org.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    first_name = forms.CharField(
        label=_("First name (optional)"), max_length=100, required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name",
                                      "autocapitalize": "words"}))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_first_name(self) -> str:
        return self.cleaned_data["first_name"].strip()
