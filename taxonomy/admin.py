from django.contrib import admin

from core.admin_audit import AuditedAdminMixin

from .models import Aspect, Category, Item


class ItemInline(admin.TabularInline):
    model = Item
    extra = 0


@admin.register(Aspect)
class AspectAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "order")


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    change_list_template = "taxonomy/category_changelist.html"

    def get_urls(self):
        from django.urls import path

        from .views import import_view

        extra = [path("import/", self.admin_site.admin_view(import_view), name="taxonomy_import")]
        return extra + super().get_urls()

    list_display = ("code", "name", "aspect", "default_unit", "default_days", "is_active")
    list_filter = ("aspect", "is_active")
    search_fields = ("name", "code")
    autocomplete_fields = ("default_unit",)
    inlines = [ItemInline]


@admin.register(Item)
class ItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "category")
    list_filter = ("category__aspect",)
    search_fields = ("name", "code")
