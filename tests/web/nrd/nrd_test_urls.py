"""The main URL map plus the NRD pages (until kerma.web.urls includes them)."""

from django.urls import include, path

from kerma.web.urls import urlpatterns as main

urlpatterns = [path("nrd/", include("kerma.web.nrd.urls")), *main]
