"""The project's URLs plus the manual-entry page (until it is included in kerma.web.urls)."""

from django.urls import include, path

from kerma.web.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    path("nrd/", include("kerma.web.nrd.urls_manual")),
]
