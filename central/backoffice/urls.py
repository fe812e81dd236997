"""The back office's pages, under /backoffice/ beside the Django admin (whose index stays at
/backoffice/; these names do not collide with its app labels)."""

from django.contrib.auth import views as auth
from django.urls import path, re_path

from central.backoffice import reconciliation_views as reconciliation
from central.backoffice import views
from central.devices.models import DEVICE_ID_PATTERN

app_name = "backoffice"
DEVICE = rf"(?P<device_id>{DEVICE_ID_PATTERN})"

urlpatterns = [
    path("sign-in/", auth.LoginView.as_view(template_name="backoffice/sign_in.html",
                                            redirect_authenticated_user=True), name="login"),
    path("sign-out/", auth.LogoutView.as_view(next_page="backoffice:login"), name="logout"),
    path("start/", views.start, name="start"),
    path("fleet/", views.FleetView.as_view(), name="fleet"),
    re_path(rf"^fleet/{DEVICE}/\Z", views.DeviceView.as_view(), name="device"),
    re_path(rf"^fleet/{DEVICE}/enrollment-code\Z",
            views.DeviceActionView.as_view(action="code"), name="device-code"),
    re_path(rf"^fleet/{DEVICE}/revoke\Z", views.DeviceActionView.as_view(action="revoke"),
            name="device-revoke"),
    path("money/", views.MoneyView.as_view(), name="money"),
    path("money/associations/<int:association_id>/", views.MoneyView.as_view(),
         name="association"),
    path("money/export.csv", views.MoneyExportView.as_view(), name="export"),
    path("shops/", views.ShopListView.as_view(), name="shops"),
    path("shops/<int:pk>/", views.ShopView.as_view(), name="shop"),
    path("shops/<int:pk>/print/<int:year>-<int:month>/", views.ShopPrintView.as_view(),
         name="shop-print"),
    path("reconciliation/", reconciliation.ReconciliationView.as_view(),
         name="reconciliation"),
    path("reconciliation/files/<int:pk>/", reconciliation.SettlementView.as_view(),
         name="settlement"),
    path("reconciliation/outcomes/<int:pk>/resolve", reconciliation.ResolveView.as_view(),
         name="resolve"),
]
