"""The donor's pages speak the phone's language (French or English, from Accept-Language;
French when it names neither) and format money and dates for it with Babel."""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_currency
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

LANGUAGES = ("fr", "en")


def language(request: HttpRequest) -> str:
    for code, _q in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        primary = code.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return settings.LANGUAGE_CODE


def donor_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Run ``view`` in the donor's language; the answer says which and varies on it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        lang = language(request)
        with translation.override(lang):
            response = view(request, *args, **kwargs)
        response["Content-Language"] = lang
        patch_vary_headers(response, ["Accept-Language"])
        return response

    return wrapped


def money(cents: int, currency: str, lang: str | None = None) -> str:
    return format_currency(Decimal(cents) / 100, currency,
                           locale=lang or translation.get_language())


def long_date(day: datetime.date, lang: str | None = None) -> str:
    return format_date(day, format="long", locale=lang or translation.get_language())
