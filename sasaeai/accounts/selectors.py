"""Who may see which council, and with which role.

A membership in a council applies to that council and to every council below it (a 市社協
admin sees its 区社協). Councils are few per installation, so the tree is read in one query.
"""
from django.http import Http404

from sasaeai.core.models import Council

from .permissions import role_has


def _council_parents():
    return dict(Council.objects.values_list("pk", "parent_id"))


def roles_by_council(user):
    """{council_id: role} for every council the user can see (nearest membership wins)."""
    if not user.is_authenticated:
        return {}
    cache = getattr(user, "_sasaeai_roles", None)
    if cache is not None:
        return cache
    direct = dict(user.memberships.values_list("council_id", "role"))
    result = {}
    if direct:
        parents = _council_parents()
        for council_id in parents:
            node, seen = council_id, set()
            while node is not None and node not in seen:  # `seen` guards against a cycle in bad data
                if node in direct:
                    result[council_id] = direct[node]
                    break
                seen.add(node)
                node = parents.get(node)
    user._sasaeai_roles = result
    return result


def role_for(user, council_id):
    return roles_by_council(user).get(council_id)


def user_can(user, permission, council_id):
    role = role_for(user, council_id)
    return role is not None and role_has(role, permission)


def councils_for_user(user):
    return Council.objects.filter(pk__in=list(roles_by_council(user))).select_related("parent")


def council_get_for_user(user, council_id, permission="plans.view"):
    """The council, if the user holds ``permission`` there; the same 404 otherwise."""
    try:
        council_id = int(council_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user_can(user, permission, council_id):
        raise Http404
    return Council.objects.get(pk=council_id)


def users_for_council(council):
    """People who work in a council: members of it or of a council above it."""
    from .models import User

    ids, node = [], council
    while node is not None:
        ids.append(node.pk)
        node = node.parent
    return User.objects.filter(memberships__council_id__in=ids, is_active=True).distinct().order_by("display_name", "username")
