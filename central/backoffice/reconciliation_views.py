"""The reconciliation pages: upload the acquirer's settlement file, see what it matches, and
decide on unknown outcomes (network admins and operators: they look after the fleet)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from central.accounts import selectors as scope
from central.backoffice.forms import ResolveForm, SettlementUploadForm
from central.backoffice.views import RoleRequiredMixin, _page
from central.donations.models import Donation
from central.reconciliation import selectors, services
from central.reconciliation.models import SettlementFile, SettlementLine


class ReconciliationView(RoleRequiredMixin, TemplateView):
    """Upload form, the unknown outcomes waiting for a decision by kiosk, files, decisions."""

    allowed = staticmethod(scope.sees_fleet)
    template_name = "backoffice/reconciliation.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            form=kwargs.pop("form", None) or SettlementUploadForm(),
            unknown=_page(self.request, selectors.unknown_outcomes(), "unknown"),
            files=selectors.files()[:20], decisions=selectors.recent_decisions()[:20],
            resolve_form=ResolveForm(), **kwargs)

    def post(self, request: HttpRequest) -> HttpResponse:
        form = SettlementUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        stored = services.import_file(request.user, request.FILES["file"].name,
                                      form.data_bytes)
        messages.success(request, _("%(name)s: %(count)d lines read.")
                         % {"name": stored.name, "count": stored.lines.count()})
        return redirect("backoffice:settlement", pk=stored.pk)


class SettlementView(RoleRequiredMixin, TemplateView):
    allowed = staticmethod(scope.sees_fleet)
    template_name = "backoffice/settlement.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        file = get_object_or_404(SettlementFile, pk=kwargs["pk"])
        return super().get_context_data(file=file, groups=selectors.file_groups(file),
                                        shown=selectors.SHOWN, **kwargs)


class ResolveView(RoleRequiredMixin, View):
    """POST only: a decision on one unknown outcome, then back to the page it came from."""

    allowed = staticmethod(scope.sees_fleet)
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        donation = get_object_or_404(Donation.objects.select_related("device"), pk=pk)
        form = ResolveForm(request.POST)
        back = request.POST.get("next") or ""
        if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            back = ""
        if not form.is_valid():
            messages.error(request, _("Choose charged or not charged."))
            return redirect(back or "backoffice:reconciliation")
        d = form.cleaned_data
        line = None
        if d.get("line"):
            line = get_object_or_404(SettlementLine, pk=d["line"], donation=donation)
        try:
            services.decide(request.user, donation, d["decision"], d["note"], line)
        except services.DecisionRefused as e:
            messages.error(request, _("This donation is %(state)s, no longer an unknown "
                                      "outcome: nothing was changed.") % {"state": e})
        else:
            messages.success(request, _("Recorded. The kiosk %(device)s receives the decision "
                                        "with its next heartbeat.")
                             % {"device": donation.device.device_id})
        return redirect(back or "backoffice:reconciliation")
