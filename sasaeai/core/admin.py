from django.contrib import admin

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
    list_display = ["created_at", "council", "actor_name", "action", "target_label"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]
