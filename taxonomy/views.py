from django.contrib import admin, messages
from django.shortcuts import redirect, render

from core.errors import InvalidInput

from .services import COLUMNS, taxonomy_import_excel


def import_view(request):
    """Admin page: upload the taxonomy sheet."""
    context = {
        **admin.site.each_context(request),
        "title": "从Excel导入事项分类",
        "columns": COLUMNS,
    }
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            context["errors"] = ["请选择要上传的Excel文件"]
        else:
            try:
                report = taxonomy_import_excel(actor=request.user, fileobj=upload)
            except InvalidInput as exc:
                context["errors"] = exc.fields.get("file") or [exc.message]
            else:
                messages.success(
                    request,
                    f"导入完成：共{report.rows}行，新增方面{report.aspects}个、大类{report.categories}个、小项{report.items}个",
                )
                return redirect("admin:taxonomy_category_changelist")
    return render(
        request, "taxonomy/import.html", context, status=400 if context.get("errors") else 200
    )
