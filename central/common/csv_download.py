"""A CSV file streamed as the rows are read, for the back office's exports (a year of a
network's donations does not have to fit in memory)."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django import forms
from django.http import HttpResponse, StreamingHttpResponse


class _Echo:
    """A file-like object that hands back what csv.writer writes, line by line."""

    def write(self, value: str) -> str:
        return value


def csv_download(filename: str, header: list[str],
                 rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    answer = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer


def range_csv_download(form: forms.Form, prefix: str, header: list[str],
                       rows: Callable[[], Iterable[list[Any]]]) -> HttpResponse:
    """The CSV of a filter form's range of days (``start``, ``end``), named after it; a form
    that does not hold is answered 400 with its errors (``rows`` is read only once it holds)."""
    if not form.is_valid():
        return HttpResponse(str(form.errors), status=400, content_type="text/plain")
    d = form.cleaned_data
    return csv_download(f"{prefix}-{d['start']:%Y-%m-%d}-{d['end']:%Y-%m-%d}.csv", header,
                        rows())


def _lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
