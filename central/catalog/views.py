"""Device API: the catalog (with ETag), the featured order, catalog images."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from central.catalog import selectors, validation
from central.catalog.models import Project
from central.common.http import JSON_TYPE, ApiError, api_endpoint, decoded_body
from central.devices import services as device_services
from central.devices.auth import authenticated_device
from central.receipts.donor import donor_page, money


@api_endpoint("GET")
def catalog(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    # Sign-up links must open on a phone: the configured public address, else this request's.
    base_url = settings.CENTRAL_PUBLIC_URL or request.build_absolute_uri("/")
    doc = selectors.device_catalog(device, base_url)
    etag = f'"{doc["version"]}"'
    asked = [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in asked:
        response = HttpResponse(status=304)
    else:
        body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
        response = HttpResponse(body, content_type=JSON_TYPE)
    response["ETag"] = etag
    return response


@api_endpoint("PUT")
def featured(request: HttpRequest, device_id: str) -> HttpResponse:
    device = authenticated_device(request, device_id)
    ids = decoded_body(request, validation.featured_body)
    device_services.set_featured(device, ids)
    return HttpResponse(status=204)


@api_endpoint("GET")
def image(request: HttpRequest, sha256: str) -> HttpResponse:
    authenticated_device(request)
    found = selectors.image(sha256)
    if found is None:
        raise ApiError(404, "not_found", "no such image")
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Cache-Control"] = "max-age=31536000, immutable"
    return response


# -- public pages: a project's learn-more page and its photo ---------------------------------


def photo_url(project: Project) -> str:
    return reverse("project_photo", args=[project.image.sha256]) if project.image else ""


@donor_page
@require_GET
def project_page(request: HttpRequest, project_id: str) -> HttpResponse:
    project = selectors.public_project(project_id)
    if project is None:
        raise Http404("no such project")
    context = {"project": project, "photo": photo_url(project),
               "raised": money(project.raised_cents, project.currency),
               "goal": money(project.goal_cents, project.currency) if project.goal_cents else ""}
    return render(request, "catalog/project.html", context)


@require_GET
def project_photo(request: HttpRequest, sha256: str) -> HttpResponse:
    """A project's photo for the donor pages: public, unlike the device API's images."""
    found = selectors.project_photo(sha256)
    if found is None:
        raise Http404("no such photo")
    response = HttpResponse(bytes(found.data), content_type=found.content_type)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
