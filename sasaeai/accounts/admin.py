from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

from .models import Invitation, Membership, User


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0


@admin.register(User)
class SasaeaiUserAdmin(UserAdmin):
    inlines = [MembershipInline]
    fieldsets = (*(UserAdmin.fieldsets or ()), ("ささえあい", {"fields": ("display_name",)}))


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """For an operator's look only: invitations are made, resent and revoked in the member screens,
    which audit them; the token exists only as a hash, so nothing here can recreate a link."""

    list_display = ("council", "display_name", "email", "username", "role", "purpose", "expires_at", "accepted_at")
    list_filter = ("purpose", "role", "council")
    search_fields = ("display_name", "email", "username")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False
