"""A CSV file streamed as the rows are read, for the back office's exports (a year of a
network's donations does not have to fit in memory)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import StreamingHttpResponse


class _Echo:
    """A file-like object that hands back what csv.writer writes, line by line."""

    def write(self, value: str) -> str:
        return value


def csv_download(filename: str, header: list[str],
                 rows: Iterable[list[Any]]) -> StreamingHttpResponse:
    answer = StreamingHttpResponse(_lines(header, rows), content_type="text/csv; charset=utf-8")
    answer["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer


def _lines(header: list[str], rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(header)
    for row in rows:
        yield writer.writerow(row)
