"""The device API (paths as in central_api/openapi.yaml), the receipt page, the back office."""

from django.contrib import admin
from django.urls import include, path, re_path

from central.catalog import views as catalog
from central.claims import views as claims
from central.devices import views as devices
from central.devices.models import DEVICE_ID_PATTERN
from central.donations import views as donations
from central.engagement import views as engagement
from central.receipts import views as receipts

DEVICE = rf"(?P<device_id>{DEVICE_ID_PATTERN})"

urlpatterns = [
    path("v1/enroll", devices.enroll, name="enroll"),
    re_path(rf"^v1/devices/{DEVICE}/donations:batch\Z", donations.batch, name="batch"),
    re_path(rf"^v1/devices/{DEVICE}/catalog\Z", catalog.catalog, name="catalog"),
    re_path(rf"^v1/devices/{DEVICE}/featured\Z", catalog.featured, name="featured"),
    re_path(rf"^v1/devices/{DEVICE}/heartbeat\Z", devices.heartbeat, name="heartbeat"),
    re_path(r"^v1/images/(?P<sha256>[0-9a-f]{64})\Z", catalog.image, name="image"),
    re_path(rf"^r/{DEVICE}/(?P<donation_id>[0-9a-f-]{{36}})\Z", receipts.receipt,
            name="receipt"),
    # The donor's pages: a project's learn-more page and photo, a claim's private page.
    re_path(r"^p/photo/(?P<sha256>[0-9a-f]{64})\Z", catalog.project_photo,
            name="project_photo"),
    path("p/<path:project_id>", catalog.project_page, name="project"),
    re_path(r"^c/(?P<token>[A-Za-z0-9_-]{20,64})\Z", claims.claim, name="claim"),
    re_path(r"^c/(?P<token>[A-Za-z0-9_-]{20,64})/receipt\.pdf\Z", claims.claim_pdf,
            name="claim_pdf"),
    re_path(r"^c/annual/(?P<token>[A-Za-z0-9_-]{20,64})\Z", claims.annual, name="annual"),
    re_path(r"^c/annual/(?P<token>[A-Za-z0-9_-]{20,64})/receipt\.pdf\Z", claims.annual_pdf,
            name="annual_pdf"),
    # A volunteer ask's sign-up page (its token is in the kiosk's QR code).
    re_path(r"^v/(?P<token>[A-Za-z0-9_-]{8,32})\Z", engagement.ask, name="ask"),
    # A pledge's page (its token is in the kiosk's QR code), and the link its email carries.
    re_path(r"^e/(?P<token>[A-Za-z0-9_-]{8,32})\Z", engagement.pledge, name="pledge"),
    re_path(r"^e/confirm/(?P<token>[A-Za-z0-9_-]{20,64})\Z", engagement.pledge_confirm,
            name="pledge_confirm"),
    # The back office's own pages first: the admin's catch-all would take their paths.
    path("backoffice/", include("central.backoffice.urls")),
    path("backoffice/insights/", include("central.insights.urls")),
    path("backoffice/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# JSON under /v1/ (a kiosk parses every answer there), Django's pages elsewhere.
handler404 = "central.common.views.not_found"
handler500 = "central.common.views.server_error"
