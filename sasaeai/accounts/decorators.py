"""The one place views declare what they need: ``@plan_permission("plans.edit")``.

Each decorator fetches the object named in the URL through a selector that checks the
permission in the object's council (one 404 for missing and foreign objects), and leaves the
user's permissions there on ``request.council_permissions`` for the templates.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, Protocol, cast

from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from .permissions import ROLE_PERMISSIONS
from .permissions import permission as checked_permission
from .selectors import role_for

if TYPE_CHECKING:
    from sasaeai.core.models import Council
    from sasaeai.plans.models import Plan

    from .models import User
    from .selectors import AnyUser

Permission = str | tuple[str, ...]


class AuthenticatedRequest(HttpRequest):
    """A request behind ``login_required``: the user is signed in."""

    user: User


class PermittedRequest(AuthenticatedRequest):
    """What a view behind these decorators receives: a signed-in user and their permissions there."""

    council_permissions: frozenset[str]


class PermissionView(Protocol):
    """A view wrapped by ``plan_permission`` or ``council_permission``; tests read what it requires."""

    required_permission: Permission

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


View = Callable[..., HttpResponseBase]


def permissions_for(user: AnyUser, council_id: int) -> frozenset[str]:
    role = role_for(user, council_id)
    return ROLE_PERMISSIONS.get(role, frozenset()) if role else frozenset()


def _scoped(
    permission: Permission, fetch: Callable[[AnyUser, Any, str], Model], url_kwarg: str
) -> Callable[[View], PermissionView]:
    """``permission`` is one name, or a tuple of names of which the user needs any one."""
    wanted = (permission,) if isinstance(permission, str) else tuple(permission)
    for name in wanted:
        checked_permission(name)  # raises ValueError for an unknown name, when the view module is imported

    def decorator(view: View) -> PermissionView:
        @login_required
        @wraps(view)
        def wrapped(request: PermittedRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            # Fetch with the first permission the user holds there (the same 404 when none).
            obj = fetch(request.user, kwargs.pop(url_kwarg), wanted[0] if len(wanted) == 1 else "plans.view")
            council_id = getattr(obj, "council_id", obj.pk)
            request.council_permissions = permissions_for(request.user, council_id)
            if not request.council_permissions.intersection(wanted):
                raise Http404
            return view(request, obj, *args, **kwargs)

        checked = cast(PermissionView, wrapped)
        checked.required_permission = permission
        return checked

    return decorator


def _plan(user: AnyUser, plan_id: int | str, permission: str) -> Plan:
    from sasaeai.plans.selectors import plan_get_for_user

    return plan_get_for_user(user, plan_id, permission)


def _council(user: AnyUser, council_id: int | str, permission: str) -> Council:
    from .selectors import council_get_for_user

    return council_get_for_user(user, council_id, permission)


def plan_permission(permission: Permission) -> Callable[[View], PermissionView]:
    """For views under /plans/<plan_id>/: the view receives the plan."""
    return _scoped(permission, _plan, "plan_id")


def council_permission(permission: Permission) -> Callable[[View], PermissionView]:
    """For views under a council id: the view receives the council."""
    return _scoped(permission, _council, "council_id")
