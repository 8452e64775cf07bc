from django.urls import path

from . import allocation_views as views

app_name = "allocation"

# A month is written YYYY-MM in the address ("2026-11"); the views refuse anything else with a 404.
urlpatterns = [
    path("", views.allocation_list, name="allocation_list"),
    path("<str:month>/", views.allocation_detail, name="allocation_detail"),
    path("<str:month>/propose/", views.allocation_propose, name="allocation_propose"),
    path("<str:month>/add/", views.item_add, name="item_add"),
    path("<str:month>/items/<int:pk>/remove/", views.item_remove, name="item_remove"),
    path("<str:month>/items/<int:pk>/swap/", views.item_swap, name="item_swap"),
    path("<str:month>/distribute/", views.allocation_distribute, name="allocation_distribute"),
]
