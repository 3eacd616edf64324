from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "participation"
    verbose_name = "群众参与"

    def ready(self) -> None:
        from django.db.models import Exists, OuterRef, Q

        from core import nav, panels
        from core.panels import Panel
        from orgs import access
        from orgs.models import Role
        from tracking import registry

        from .models import CLAIMANT_ROLES, MicroWish, TeamMember, VolunteerOrder

        registry.register(
            registry.TrackedKind(
                model=MicroWish,
                label="微心愿",
                open_states=frozenset({"posted", "approved", "claimed"}),
                finished_states=frozenset({"fulfilled", "confirmed"}),
                extra={"public_url": "participation:wish"},
            )
        )
        registry.register(
            registry.TrackedKind(
                model=VolunteerOrder,
                label="志愿服务点单",
                open_states=frozenset({"ordered", "dispatched", "accepted", "declined"}),
                finished_states=frozenset({"served", "rated"}),
                extra={"wall": False},
            )
        )

        # Claimants see every public wish (a party member may fulfil a wish anywhere in
        # the county); team members see the orders dispatched to their team.
        def qs_grant(actor, model):
            if model is MicroWish and actor.has_role(*CLAIMANT_ROLES):
                return Q(is_public=True)
            if model is VolunteerOrder and actor.has_role(Role.VOLUNTEER):
                return Q(Exists(TeamMember.objects.filter(team_id=OuterRef("team_id"), user=actor)))
            return None

        def obj_grant(actor, item):
            if isinstance(item, MicroWish):
                return item.is_public and actor.has_role(*CLAIMANT_ROLES)
            if isinstance(item, VolunteerOrder) and item.team_id:
                return TeamMember.objects.filter(team_id=item.team_id, user=actor).exists()
            return False

        access.register_grant(qs_grant, obj_grant)

        for entry in [
            nav.NavEntry("晒清单", "participation:board", hint="民生实事项目进展公开", order=20),
            nav.NavEntry("民生实事墙", "participation:wall", hint="办结事项三色评价", order=30),
            nav.NavEntry("网络比选", "participation:polls", hint="为民生项目投票", order=40),
            nav.NavEntry("微心愿", "participation:wishes", hint="发布心愿、党员圆梦", order=50),
            nav.NavEntry("志愿服务", "participation:menu", hint="群众点单、志愿者接单", order=60),
        ]:
            nav.add_public(entry)
        for entry in [
            nav.NavEntry(
                "微心愿", "participation:staff-wishes", (Role.OFFICE, Role.GRID_WORKER), order=60
            ),
            nav.NavEntry(
                "志愿服务", "participation:staff-orders", (Role.OFFICE, Role.GRID_WORKER), order=61
            ),
            nav.NavEntry("网络比选", "participation:staff-polls", (Role.OFFICE,), order=62),
            nav.NavEntry("我的服务", "participation:me", (Role.VOLUNTEER,), order=63),
            nav.NavEntry("心愿认领", "participation:wishes", (Role.VOLUNTEER,), order=64),
        ]:
            nav.add_staff(entry)

        @panels.register
        def participation_panels(actor):
            from .selectors import pending_panels

            return [Panel(**p) for p in pending_panels(actor)]

        # Register the case -> micro-wish converter once the cases app provides it.
        try:
            from cases.services import register_converter
        except ImportError:
            register_converter = None
        if register_converter is not None:
            from .services import microwish_create_from_case

            register_converter("microwish", microwish_create_from_case, "微心愿")
