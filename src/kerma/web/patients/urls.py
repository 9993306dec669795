from django.urls import path

from kerma.web.patients import views

urlpatterns = [
    path("", views.watch_list, name="patients_watch"),
    path("record/<str:key>/", views.record, name="patients_record"),
    path("record/<str:key>/flag/", views.flag_add, name="patients_flag_add"),
    path("flags/<int:pk>/end/", views.flag_end, name="patients_flag_end"),
    path("exam/<int:pk>/pregnancy/", views.pregnancy_record, name="patients_pregnancy_record"),
    path("exam/<int:pk>/report/", views.report_section, name="patients_report"),
    path("exam/<int:pk>/breast-feeding/", views.breast_feeding, name="patients_breast_feeding"),
    path("pregnancy/", views.pregnancy_unchecked, name="patients_pregnancy"),
    path("paediatric/", views.paediatric, name="patients_paediatric"),
]
