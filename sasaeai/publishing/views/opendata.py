"""(being built)"""

from django.urls import URLPattern

public_urls: list[URLPattern] = []
staff_urls: list[URLPattern] = []
