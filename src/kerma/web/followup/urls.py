from django.urls import path

from kerma.web.followup import views

urlpatterns = [
    path("", views.alert_list, name="followup_alerts"),
    path("alerts/<int:pk>/", views.alert_detail, name="followup_alert"),
    path("alerts/<int:pk>/letter/", views.alert_letter, name="followup_letter"),
    path("patients/", views.patients, name="followup_patients"),
    path("thresholds/", views.thresholds, name="followup_thresholds"),
    path("rooms/", views.rooms, name="followup_rooms"),
    path("rooms/<int:device_id>/", views.room_detail, name="followup_room"),
    path("exams/<int:exam_id>/skin-dose.png", views.exam_png, name="followup_exam_png"),
    path("exams/<int:exam_id>/skin-dose.json", views.exam_json, name="followup_exam_json"),
    path("exams/<int:exam_id>/skin-dose.dcm", views.exam_sr, name="followup_exam_sr"),
    path("exams/<int:exam_id>/skin-dose-mesh.json", views.exam_mesh, name="followup_exam_mesh"),
    path("exams/<int:exam_id>/recompute/", views.exam_recompute, name="followup_recompute"),
]
