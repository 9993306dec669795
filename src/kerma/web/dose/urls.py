from django.urls import path

from kerma.web.dose import fleet, views

urlpatterns = [
    path("", fleet.home, name="home"),
    path("devices/", fleet.device_list, name="device_list"),
    path("devices/<int:pk>/", fleet.device_detail, name="device_detail"),
    path("exams/", views.exam_list, name="exam_list"),
    path("exams/<int:pk>/", views.exam_detail, name="exam_detail"),
]
