from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0


@admin.register(User)
class SasaeaiUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("ささえあい", {"fields": ("display_name",)}))
