"""The one place views declare what they need: ``@plan_permission("plans.edit")``.

Each decorator fetches the object named in the URL through a selector that checks the
permission in the object's council (one 404 for missing and foreign objects), and leaves the
user's permissions there on ``request.council_permissions`` for the templates.
"""
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404

from .permissions import ROLE_PERMISSIONS
from .permissions import permission as checked_permission
from .selectors import role_for


def permissions_for(user: Any, council_id: int) -> frozenset[str]:
    """The user's permissions in one council (their nearest membership's role; none without one)."""
    role = role_for(user, council_id)
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def _scoped(permission, fetch, url_kwarg):
    """``permission`` is one name, or a tuple of names of which the user needs any one."""
    wanted = (permission,) if isinstance(permission, str) else tuple(permission)
    for name in wanted:
        checked_permission(name)  # raises ValueError for an unknown name, when the view module is imported

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            # Fetch with the first permission the user holds there (the same 404 when none).
            obj = fetch(request.user, kwargs.pop(url_kwarg), wanted[0] if len(wanted) == 1 else "plans.view")
            council_id = getattr(obj, "council_id", obj.pk)
            request.council_permissions = permissions_for(request.user, council_id)
            if not request.council_permissions.intersection(wanted):
                raise Http404
            return view(request, obj, *args, **kwargs)

        wrapped.required_permission = permission
        return wrapped

    return decorator


def _plan(user, plan_id, permission):
    from sasaeai.plans.selectors import plan_get_for_user

    return plan_get_for_user(user, plan_id, permission)


def _council(user, council_id, permission):
    from .selectors import council_get_for_user

    return council_get_for_user(user, council_id, permission)


def plan_permission(permission):
    """For views under /plans/<plan_id>/: the view receives the plan."""
    return _scoped(permission, _plan, "plan_id")


def council_permission(permission):
    """For views under a council id: the view receives the council."""
    return _scoped(permission, _council, "council_id")
