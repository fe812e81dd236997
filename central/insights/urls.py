"""The engagement page, under /backoffice/insights/ beside the other back-office pages."""

from django.urls import path

from central.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.InsightsView.as_view(), name="page"),
    path("export.csv", views.InsightsExportView.as_view(), name="export"),
]
