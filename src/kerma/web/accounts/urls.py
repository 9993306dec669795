from django.urls import path

from kerma.web.accounts import views

urlpatterns = [
    path("", views.history, name="history"),
]
