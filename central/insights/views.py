"""The engagement page and its CSV: thin views over central.insights.selectors. Who may open
them is checked here (anyone who sees donations); which counts they see, by the selectors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from central.accounts import selectors as scope
from central.backoffice.views import RoleRequiredMixin
from central.common.csv_download import range_csv_download
from central.insights import selectors
from central.insights.forms import DEFAULT_DAYS, InsightsFilterForm


def _form(request: HttpRequest) -> InsightsFilterForm:
    # The default days go into the bound data, so that the form shows what the page shows.
    data = request.GET.copy()
    end = timezone.localdate()
    for name, value in (("start", end - dt.timedelta(days=DEFAULT_DAYS - 1)), ("end", end)):
        if not data.get(name):
            data[name] = value.isoformat()
    form = InsightsFilterForm(data, associations=scope.associations(request.user),
                              shops=selectors.shops_counted_for(request.user))
    if not form.is_valid() and ("association" in form.errors or "town" in form.errors):
        raise Http404  # another association's id, a town of no shop seen: as if it did not exist
    return form


class InsightsView(RoleRequiredMixin, TemplateView):
    allowed = staticmethod(scope.sees_money)
    template_name = "insights/insights.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        form = _form(self.request)
        if not form.is_valid():
            return super().get_context_data(form=form, **kwargs)
        user, chosen = self.request.user, form.chosen()
        return super().get_context_data(
            form=form, start=form.cleaned_data["start"], end=form.cleaned_data["end"],
            funnel=selectors.funnel(user, chosen),
            hours=selectors.best_hours(user, chosen),
            shops=selectors.by_group(user, chosen, "shop", limit=10),
            towns=selectors.by_group(user, chosen, "town", limit=20),
            projects=selectors.by_group(user, chosen, "project", limit=20),
            associations=selectors.by_group(user, chosen, "association", limit=20),
            query=self.request.GET.urlencode(), **kwargs)


class InsightsExportView(RoleRequiredMixin, View):
    allowed = staticmethod(scope.sees_money)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = _form(request)
        return range_csv_download(form, "engagement", selectors.EXPORT_COLUMNS, lambda: _csv_rows(
            selectors.export_rows(request.user, form.chosen())))


def _csv_rows(rows: Any) -> Iterator[list[Any]]:
    for r in rows.iterator(chunk_size=2000):
        hour = r["hour"].astimezone(dt.UTC).strftime("%Y-%m-%dT%H:00:00Z")
        yield [hour, r["device__shop__name"] or "", r["device__shop__town"] or "",
               r["project__association__name"] or "", r["project_ref"],
               r["project__title"] or "", *(r[c] for c in selectors.COUNTERS)]
