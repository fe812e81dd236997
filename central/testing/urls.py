"""The service's routes plus the test administration routes (test and demo settings)."""

from django.contrib.staticfiles.views import serve as serve_static
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
    # The back office's style sheet without collectstatic and nginx: the demo on a laptop.
    re_path(r"^static/(?P<path>.+)\Z", serve_static, {"insecure": True}),
]
