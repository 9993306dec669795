from django.urls import path

from kerma.web.node import views

urlpatterns = [path("", views.node_status, name="node_status")]
