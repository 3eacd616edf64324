from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from . import access, selectors


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        self.request.user.password_changed_at = timezone.now()
        self.request.user.save(update_fields=["password_changed_at"])
        return response


@login_required
def org_node(request, node_id: int | None = None):
    """The actor's part of the org tree: a node, its children and its staff."""
    actor = access.require_staff(request.user)
    node = access.access_node(actor, node_id) if node_id else actor.node
    if node is None:  # superuser without a node: start at the roots
        node = access.visible_nodes(actor).filter(depth=1).first()
    return render(
        request,
        "orgs/node.html",
        {
            "node": node,
            "children": selectors.node_children(node),
            "staff": selectors.node_staff(node),
            "breadcrumb": selectors.node_breadcrumb(actor, node),
        },
    )
