from django.urls import path

from . import views_excel

app_name = "excel"

urlpatterns = [
    path("<int:plan_id>/excel/", views_excel.excel_page, name="plan"),
    path("<int:plan_id>/excel/download/", views_excel.excel_download, name="download"),
    path("<int:plan_id>/excel/upload/", views_excel.excel_upload, name="upload"),
    path("<int:plan_id>/excel/confirm/", views_excel.excel_confirm, name="confirm"),
]
