from django.urls import path

from kerma.web.charts import views

urlpatterns = [
    path("", views.charts_page, name="charts"),
    path("data/evaluation/<int:pk>/", views.evaluation_data, name="charts_evaluation_data"),
    path("data/<slug:chart>/", views.chart_data, name="charts_data"),
]
