from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="product_list"),
    path("products/<slug:slug>/", views.product_detail, name="product_detail"),
    path("bag/", views.bag_detail, name="bag"),
    path("bag/add/<int:pk>/", views.bag_add, name="bag_add"),
    path("bag/update/<int:pk>/", views.bag_update, name="bag_update"),
    path("checkout/", views.checkout, name="checkout"),
    path("orders/<str:number>/", views.order_done, name="order_done"),
]
