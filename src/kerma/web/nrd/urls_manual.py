"""The manual-entry page (included under ``nrd/``)."""

from django.urls import path

from kerma.web.nrd import views_manual

urlpatterns = [
    path("evaluations/manual/", views_manual.manual_entry, name="nrd_manual_entry"),
]
