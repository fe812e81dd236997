"""The service's routes plus the test administration routes (test and demo settings)."""

from django.urls import path, re_path

from central.testing import views
from central.urls import DEVICE, handler404, handler500  # noqa: F401  (this is the root)
from central.urls import urlpatterns as service_urls

urlpatterns = [
    *service_urls,
    path("admin/faults", views.admin_faults),
    path("admin/enroll-codes", views.admin_enroll_codes),
    path("admin/catalog", views.admin_catalog),
    path("admin/exchanges", views.admin_exchanges),
    path("admin/token-owner", views.admin_token_owner),
    re_path(rf"^admin/devices/{DEVICE}/revoke\Z", views.admin_revoke),
    re_path(rf"^admin/devices/{DEVICE}/donations\Z", views.admin_donations),
    re_path(rf"^admin/devices/{DEVICE}\Z", views.admin_device),
]
