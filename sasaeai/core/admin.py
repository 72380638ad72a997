from django.contrib import admin
from django.http import HttpRequest

from .models import AuditEntry, Branch, Council


class BranchInline(admin.TabularInline):
    model = Branch
    extra = 0


@admin.register(Council)
class CouncilAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    inlines = [BranchInline]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """The history is evidence: it can be read here, never added to, changed or deleted."""

    list_display = ["created_at", "council", "actor_name", "action", "target_label"]
    list_filter = ["action"]
    search_fields = ["target_label", "actor_name", "action"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
    actions = None

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEntry | None = None) -> bool:
        return False
