from django.urls import path

from kerma.web.people import views

urlpatterns = [
    path("", views.people_list, name="people_list"),
    path("new/", views.person_new, name="people_new"),
    path("<int:pk>/", views.person_detail, name="people_detail"),
    path("<int:pk>/edit/", views.person_edit, name="people_edit"),
    path("<int:pk>/<str:kind>/add/", views.child_add, name="people_child_add"),
    path("rows/<str:kind>/<int:pk>/edit/", views.child_edit, name="people_child_edit"),
    path("certificates/<int:pk>/file/", views.certificate_file, name="people_certificate_file"),
    path("qualifications/", views.qualifications, name="people_qualifications"),
    path("qualifications/operators/", views.operators, name="people_operators"),
    path("import/", views.import_hr, name="people_import"),
    path("import/template.xlsx", views.import_template, name="people_import_template"),
    path("dosimetry/import/", views.import_dosimetry, name="people_dosimetry_import"),
    path("staff/", views.assessment_list, name="people_assessments"),
    path("staff/new/", views.assessment_new, name="people_assessment_new"),
    path("staff/<int:pk>/", views.assessment_detail, name="people_assessment"),
    path("staff/<int:pk>/edit/", views.assessment_edit, name="people_assessment_edit"),
]
