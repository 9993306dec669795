"""URL map of the web application."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):  # noqa: ANN001, ANN201 - tiny liveness probe for service managers
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz),
    path("node/", include("kerma.web.node.urls")),
    path("charts/", include("kerma.web.charts.urls")),
    path("history/", include("kerma.web.accounts.urls")),
    path("nrd/", include("kerma.web.nrd.urls_manual")),
    path("nrd/", include("kerma.web.nrd.urls")),
    path("followup/", include("kerma.web.followup.urls")),
    path("quality/", include("kerma.web.quality.urls")),
    path("people/", include("kerma.web.people.urls")),
    path("patients/", include("kerma.web.patients.urls")),
    path("", include("kerma.web.dose.urls")),
]
