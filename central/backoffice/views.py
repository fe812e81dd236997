"""The back office's pages: thin views over central.backoffice.selectors and .services.
Who may open a page is checked here (a role); which rows they see, by the selectors."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView

from central.accounts import selectors as scope
from central.backoffice import selectors, services
from central.backoffice.forms import (
    EnrollmentCodeForm,
    FleetFilterForm,
    MoneyFilterForm,
    RevokeForm,
    month_start,
    next_month,
)
from central.backoffice.presenters import fleet_row
from central.common.csv_download import range_csv_download
from central.common.days import local_midnight
from central.devices.models import Device

PAGE_SIZE = 50
# Ten pages: read at once below it, paged in the database above (MoneyView).
MONEY_ROWS_AT_ONCE = 500


class RoleRequiredMixin(LoginRequiredMixin):
    """Signed in, and the role the page is for (403 otherwise)."""

    allowed: Callable[[Any], bool] = staticmethod(lambda user: False)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not type(self).allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def start(request: HttpRequest) -> HttpResponse:
    """After sign-in: the page of the user's role."""
    user = request.user
    if not user.is_authenticated:
        return redirect("backoffice:login")
    if scope.sees_fleet(user):
        return redirect("backoffice:fleet")
    if scope.money_shops(user).exists():
        return _shops_landing(user)
    if scope.sees_money(user):
        return redirect("backoffice:money")
    raise PermissionDenied


# -- fleet ----------------------------------------------------------------------------------


class FleetView(RoleRequiredMixin, ListView):
    allowed = staticmethod(scope.sees_fleet)
    template_name = "backoffice/fleet.html"
    paginate_by = PAGE_SIZE
    context_object_name = "devices"

    def get_queryset(self) -> Any:
        self.form = FleetFilterForm(self.request.GET or None,
                                    shops=scope.shops(self.request.user))
        valid = self.form.is_valid()
        data = self.form.cleaned_data if valid else {}
        shop = data.get("shop")
        return selectors.fleet(self.request.user, shop=shop.pk if shop else None,
                               problem=data.get("problem") or None,
                               town=data.get("town") or None)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=self.form, query=_query(self.request, "page"),
                                           **kwargs)
        now = timezone.now()
        for device in context["devices"]:
            device.shown = fleet_row(device, now)
        return context


class DeviceView(RoleRequiredMixin, TemplateView):
    allowed = staticmethod(scope.sees_fleet)
    template_name = "backoffice/device.html"

    @classmethod
    def answer(cls, request: HttpRequest, device_id: str, **extra: Any) -> HttpResponse:
        """The page as the answer to an action's POST (a bound form with its errors, or a
        new code), without a redirect."""
        view = cls()
        view.setup(request, device_id=device_id)
        return view.render_to_response(view.get_context_data(device_id=device_id, **extra))

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        device = _fleet_device(self.request, kwargs["device_id"])
        points = selectors.history(device)
        chart = {"labels": [timezone.localtime(p["hour"]).strftime("%Y-%m-%d %H:00")
                            for p in points],
                 "backlog": [p["max_backlog_count"] for p in points],
                 "disk_mib": [None if p["min_disk_free_bytes"] is None
                              else p["min_disk_free_bytes"] >> 20 for p in points],
                 "backlog_label": _("Backlog (donations)"),
                 "disk_label": _("Free disk (MiB)")}
        audit = _page(self.request, selectors.audit_log(device), "audit")
        return super().get_context_data(
            device=device, chart=chart, days=selectors.daily_history(points), audit=audit,
            actions=selectors.staff_actions(device)[:20],
            code_form=kwargs.pop("code_form", None) or EnrollmentCodeForm(),
            revoke_form=kwargs.pop("revoke_form", None) or RevokeForm(),
            code=kwargs.pop("code", None), **kwargs)


class DeviceActionView(RoleRequiredMixin, View):
    """POST only: create an enrollment code (shown on the answer, once) or revoke."""

    allowed = staticmethod(scope.sees_fleet)
    http_method_names = ["post"]
    action = ""

    def post(self, request: HttpRequest, device_id: str) -> HttpResponse:
        device = _fleet_device(request, device_id)
        page = DeviceView.answer
        if self.action == "code":
            form = EnrollmentCodeForm(request.POST)
            if not form.is_valid():
                return page(request, device_id=device_id, code_form=form)
            try:
                code = services.create_enrollment_code(request.user, device,
                                                       form.cleaned_data["expires_days"])
            except services.AlreadyEnrolled:
                messages.error(request, _("This kiosk is enrolled: revoke it first, then "
                                          "create a new code."))
                return redirect("backoffice:device", device_id=device_id)
            # The code is in this answer only (it is stored hashed): never cached.
            answer = page(request, device_id=device_id, code=code)
            answer["Cache-Control"] = "no-store"
            return answer
        form = RevokeForm(request.POST)
        if not form.is_valid():
            return page(request, device_id=device_id, revoke_form=form)
        services.revoke(request.user, device)
        messages.success(request, _("%(device)s is revoked.") % {"device": device.device_id})
        return redirect("backoffice:device", device_id=device_id)


def _fleet_device(request: HttpRequest, device_id: str) -> Device:
    device = selectors.fleet_device(request.user, device_id)
    if device is None:
        raise Http404
    return device


# -- money ----------------------------------------------------------------------------------


class MoneyView(RoleRequiredMixin, TemplateView):
    """Donations by project, association, shop or kiosk and by day, month or range; the
    association page is the same with its association fixed by the URL."""

    allowed = staticmethod(scope.sees_money)
    template_name = "backoffice/money.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        user = self.request.user
        association = None
        if "association_id" in kwargs:
            association = get_object_or_404(scope.associations(user),
                                            pk=kwargs["association_id"])
        form = _money_form(self.request)
        if not form.is_valid():
            return super().get_context_data(form=form, **kwargs)
        fixed = {"association": association.pk} if association else {}
        chosen = form.money_filter(**fixed)
        d = form.cleaned_data
        # Most selections are a few hundred rows: read once, their totals added up from
        # them. A larger one (a year by shop: 2 200 rows, a month by kiosk and by day:
        # 30 000 for 1 000 kiosks) is counted and sliced in the database, its totals one
        # more aggregate: turning thousands of rows into dicts and adding them up in
        # Python cost more than those two queries.
        query = selectors.money_rows(user, chosen, d["by"], d["period"])
        first = list(query[:MONEY_ROWS_AT_ONCE + 1])
        if len(first) <= MONEY_ROWS_AT_ONCE:
            rows, totals = _page(self.request, first), selectors.added_up(first)
        else:
            rows, totals = _page(self.request, query), selectors.money_totals(user, chosen)
        rows.object_list = selectors.period_times(rows.object_list)
        return super().get_context_data(
            form=form, association=association, rows=rows, by=d["by"], period=d["period"],
            by_label=dict(form.fields["by"].choices)[d["by"]],
            totals=totals, start=d["start"], end=d["end"],
            query=_query(self.request, "page"),
            associations=scope.associations(user)[:50], **kwargs)


def _money_form(request: HttpRequest) -> MoneyFilterForm:
    # The defaults go into the bound data so that the form shows what the page shows.
    data = request.GET.copy()
    today = timezone.localdate()
    for name, value in (("by", "project"), ("period", "month"),
                        ("start", month_start(today).isoformat()),
                        ("end", today.isoformat())):
        if not data.get(name):
            data[name] = value
    form = MoneyFilterForm(data, associations=scope.associations(request.user),
                           shops=scope.money_shops(request.user))
    if form.is_bound and not form.is_valid() and (
            "association" in form.errors or "shop" in form.errors or "town" in form.errors):
        raise Http404  # another association's or shop's id: as if it did not exist
    return form


# The columns of ``kioskctl export`` (kiosk.core.ledger.records.Donation), then where the
# donation was made. What only a kiosk knows (monotonic clocks, its sync attempts) is blank.
EXPORT_COLUMNS = ["id", "seq", "boot_id", "project_id", "amount_cents", "currency", "state",
                  "created_at", "created_mono_ns", "finished_at", "finished_mono_ns",
                  "auth_code", "card_suffix", "reason", "sync_state", "sync_attempts",
                  "sync_error", "synced_at", "device_id", "shop"]


class MoneyExportView(RoleRequiredMixin, View):
    allowed = staticmethod(scope.sees_money)

    def get(self, request: HttpRequest) -> HttpResponse:
        form = _money_form(request)
        return range_csv_download(form, "donations", EXPORT_COLUMNS, lambda: _csv_rows(
            selectors.export_rows(request.user, form.money_filter())))


def _csv_rows(rows: Any) -> Iterator[list[Any]]:
    for d in rows.iterator(chunk_size=2000):
        sent = json.loads(d.content)
        terminal = sent.get("terminal") or {}
        yield [
            sent["id"], d.seq, d.boot_id, d.project_ref, d.amount_cents, d.currency, d.state,
            sent["created_at"], "", sent.get("finished_at") or "", "",
            terminal.get("auth_code") or "", terminal.get("card_suffix") or "",
            terminal.get("reason") or "", "synced", "", "", d.received_at.isoformat(),
            d.device.device_id, d.device.shop.name if d.device.shop else ""]


# -- shops ----------------------------------------------------------------------------------


class ShopListView(RoleRequiredMixin, ListView):
    allowed = staticmethod(lambda user: scope.money_shops(user).exists())
    template_name = "backoffice/shops.html"
    context_object_name = "shops"
    paginate_by = PAGE_SIZE

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        shops = list(scope.money_shops(request.user)[:2])
        if not scope.is_network_admin(request.user) and len(shops) == 1:
            return redirect("backoffice:shop", pk=shops[0].pk)
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return scope.money_shops(self.request.user)


def _shops_landing(user: Any) -> HttpResponse:
    """A shop owner with one shop goes straight to it; with several, to the list."""
    shops = list(scope.money_shops(user)[:2])
    if len(shops) == 1:
        return redirect("backoffice:shop", pk=shops[0].pk)
    return redirect("backoffice:shops")


class ShopView(LoginRequiredMixin, TemplateView):
    """A shop owner's page, made for a phone: this month and this year, per project."""

    template_name = "backoffice/shop.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        shop = get_object_or_404(scope.money_shops(self.request.user), pk=kwargs["pk"])
        today = timezone.localdate()
        this_month, this_year = month_start(today), today.replace(month=1, day=1)
        tomorrow = local_midnight(today + dt.timedelta(days=1))
        user = self.request.user
        return super().get_context_data(
            shop=shop, today=today, month=this_month,
            month_rows=selectors.approved_by_project(user, shop.pk,
                                                     local_midnight(this_month), tomorrow),
            year_rows=selectors.approved_by_project(user, shop.pk,
                                                    local_midnight(this_year), tomorrow),
            months=[this_month.replace(month=m) for m in range(this_month.month, 0, -1)],
            kiosks=shop.devices.order_by("device_id"), **kwargs)


class ShopPrintView(LoginRequiredMixin, TemplateView):
    """A month's summary to print (or save as PDF from the browser)."""

    template_name = "backoffice/shop_print.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        shop = get_object_or_404(scope.money_shops(self.request.user), pk=kwargs["pk"])
        try:
            month = dt.date(int(kwargs["year"]), int(kwargs["month"]), 1)
        except ValueError:
            raise Http404 from None
        rows = selectors.approved_by_project(self.request.user, shop.pk,
                                             local_midnight(month),
                                             local_midnight(next_month(month)))
        totals: dict[str, dict[str, int]] = {}
        for r in rows:
            t = totals.setdefault(r["currency"], {"count": 0, "cents": 0})
            t["count"] += r["count"]
            t["cents"] += r["cents"]
        # Not ``month``: that is the URL's number, already among the view's kwargs.
        return super().get_context_data(
            shop=shop, first_day=month, rows=rows, printed=timezone.localtime(),
            totals=[{"currency": c, **t} for c, t in sorted(totals.items())])


# -- helpers --------------------------------------------------------------------------------


def _page(request: HttpRequest, rows: Any, name: str = "page") -> Any:
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get(name))


def _query(request: HttpRequest, drop: str) -> str:
    """The page's query string without ``drop`` (for pagination links)."""
    params = request.GET.copy()
    params.pop(drop, None)
    return params.urlencode()

