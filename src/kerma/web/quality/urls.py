"""URLs of the quality system (under /quality/)."""

from django.urls import path

from kerma.web.quality import views

urlpatterns = [
    path("", views.home, name="quality_home"),
    path("programme/", views.programme, name="quality_programme"),
    path(
        "programme/<str:source>/<int:ref>/",
        views.action_completion,
        name="quality_completion",
    ),
    path("equipment/", views.equipment, name="quality_equipment"),
    path("equipment/device/<int:device_id>/", views.equipment_device, name="quality_device"),
    path("events/template.xlsx", views.event_template, name="quality_event_template"),
    path("events/import/", views.event_import, name="quality_event_import"),
    path("events/<int:pk>/analysis/", views.event_analysis, name="quality_analysis"),
    path("analyses/<int:pk>/validate/", views.analysis_validate, name="quality_analysis_validate"),
    path("reviews/report/", views.review_report, name="quality_review_report"),
    path("procedures/missing/", views.missing, name="quality_missing"),
    path("procedures/<int:pk>/versions/new/", views.version_new, name="quality_version_new"),
    path("procedures/<int:pk>/print/", views.procedure_print, name="quality_procedure_print"),
    path("versions/<int:pk>/validate/", views.version_validate, name="quality_version_validate"),
    path("documents/<int:pk>/", views.document, name="quality_document"),
    path("<slug:slug>/", views.register_list, name="quality_list"),
    path("<slug:slug>/new/", views.register_new, name="quality_new"),
    path("<slug:slug>/import/", views.register_import, name="quality_import"),
    path("<slug:slug>/template.xlsx", views.register_template, name="quality_template"),
    path("<slug:slug>/<int:pk>/", views.register_detail, name="quality_detail"),
    path("<slug:slug>/<int:pk>/edit/", views.register_edit, name="quality_edit"),
]
