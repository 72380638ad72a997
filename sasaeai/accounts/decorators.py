"""The one place views declare what they need: ``@plan_permission("plans.edit")``."""
from functools import wraps

from django.contrib.auth.decorators import login_required

from .permissions import PERMISSIONS, ROLE_PERMISSIONS
from .selectors import role_for


def permissions_for(user, council_id):
    role = role_for(user, council_id)
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def plan_permission(permission):
    """Fetch the plan named by ``plan_id`` and check ``permission`` in its council (404 otherwise)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, plan_id, *args, **kwargs):
            from sasaeai.plans.selectors import plan_get_for_user

            plan = plan_get_for_user(request.user, plan_id, permission)
            request.council_permissions = permissions_for(request.user, plan.council_id)
            return view(request, plan, *args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


def council_permission(permission):
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}")

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, council_id, *args, **kwargs):
            from .selectors import council_get_for_user

            council = council_get_for_user(request.user, council_id, permission)
            request.council_permissions = permissions_for(request.user, council.pk)
            return view(request, council, *args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator
