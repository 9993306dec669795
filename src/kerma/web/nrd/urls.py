from django.urls import path

from kerma.web.nrd import views

urlpatterns = [
    path("", views.plan, name="nrd_plan"),
    path("evaluations/", views.evaluation_list, name="nrd_evaluation_list"),
    path("evaluations/new/", views.evaluation_new, name="nrd_evaluation_new"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="nrd_evaluation"),
    path(
        "evaluations/<int:pk>/export.<str:fmt>",
        views.evaluation_export,
        name="nrd_evaluation_export",
    ),
    path("report/<int:year>/", views.year_report, name="nrd_year_report"),
    path("report/<int:year>/summary.csv", views.year_report_csv, name="nrd_year_report_csv"),
    path("mappings/", views.mappings, name="nrd_mappings"),
    path("references/", views.references, name="nrd_references"),
]
