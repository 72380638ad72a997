"""The people of a council: the member list, invitations (e-mail or a printed sign-in sheet), roles,
suspension; joining through an invitation; and creating a council with its first admin."""

from __future__ import annotations

from io import BytesIO
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from sasaeai.core.audit import ACTION_LABELS
from sasaeai.core.models import Council
from sasaeai.core.permissions import ACCOUNTS_SECURITY as SECURITY
from sasaeai.core.view_helpers import form_errors_from

from .. import selectors, tokens
from ..decorators import AuthenticatedRequest, PermittedRequest, council_permission
from ..member_forms import AcceptForm, CodeForm, CouncilCreateForm, InviteForm, ResetPasswordForm, RoleForm
from ..models import Invitation
from ..permissions import grantable_roles
from ..services import members as services
from ..services.account import two_factor_device

# Sheet codes live only in the session of the admin who issued them (the database keeps a hash).
SHEETS_KEY = "sasaeai_sheet_tokens"
MODEL_BACKEND = "sasaeai.accounts.backends.ModelBackend"


def _remember_sheet(request: HttpRequest, issued: services.IssuedInvitation) -> None:
    sheets = dict(request.session.get(SHEETS_KEY, {}))
    sheets[str(issued.invitation.pk)] = issued.token
    request.session[SHEETS_KEY] = sheets


def _sheet_token(request: HttpRequest, invitation: Invitation) -> str | None:
    token = request.session.get(SHEETS_KEY, {}).get(str(invitation.pk))
    if not isinstance(token, str) or tokens.token_hash(token) != invitation.token_hash:
        return None
    return token if services.invitation_problem(invitation) is None else None


def _sheet_url(invitation: Invitation) -> str:
    return reverse("members:sheet", args=[invitation.council_id, invitation.pk])


@council_permission("members.manage")
def member_list(request: PermittedRequest, council: Council) -> HttpResponse:
    rows = selectors.members_for_council(council)
    return render(
        request,
        "accounts/members/list.html",
        {
            "council": council,
            "rows": rows,
            "locked": selectors.locked_out_usernames(r.username for r in rows if r.membership),
            "history": selectors.member_history(council),
            "action_labels": ACTION_LABELS,
            "perms_here": request.council_permissions,
        },
    )


@council_permission("members.manage")
def member_invite(request: PermittedRequest, council: Council) -> HttpResponse:
    form = InviteForm(
        request.POST or None,
        councils=selectors.managed_councils(request.user, council),
        roles=grantable_roles(request.council_permissions),
        initial={"council": council.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            issued = services.invitation_create(
                council=form.councils[data["council"]],
                role=data["role"],
                by=request.user,
                delivery=data["delivery"],
                email=data["email"],
                display_name=data["display_name"],
                username=data["username"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            if issued.invitation.delivery == Invitation.Delivery.SHEET:
                _remember_sheet(request, issued)
                messages.success(request, _("ログイン用紙をつくりました。印刷して本人に渡してください。"))
                return redirect(_sheet_url(issued.invitation))
            messages.success(
                request,
                _("%(email)s に招待のメールを送りました（%(days)s日間有効）。")
                % {"email": issued.invitation.email, "days": services.invitation_days()},
            )
            return redirect("members:list", council.pk)
    return render(
        request, "accounts/members/invite.html", {"council": council, "form": form, "days": services.invitation_days()}
    )


@council_permission("members.manage")
def member_detail(request: PermittedRequest, council: Council, membership_id: int) -> HttpResponse:
    membership = selectors.membership_get_for_manager(request.user, council, membership_id)
    form = RoleForm(roles=grantable_roles(request.council_permissions), initial={"role": membership.role})
    security = SECURITY in request.council_permissions
    context = {
        "council": council,
        "membership": membership,
        "form": form,
        "security": security,
        "locked": security and selectors.is_locked_out(membership.user),
        "two_factor_on": security and two_factor_device(membership.user) is not None,
    }
    return render(request, "accounts/members/detail.html", context)


def _membership_action(request: PermittedRequest, council: Council, membership_id: int, action: str) -> HttpResponse:
    membership = selectors.membership_get_for_manager(request.user, council, membership_id)
    name = str(membership.user)
    try:
        if action == "role":
            form = RoleForm(request.POST, roles=grantable_roles(request.council_permissions))
            if not form.is_valid():
                raise ValidationError(_("役割を一覧から選んでください。"))
            services.membership_set_role(membership=membership, role=form.cleaned_data["role"], by=request.user)
            done = _("%(name)s さんの役割を変えました。")
        elif action == "suspend":
            services.membership_suspend(membership=membership, by=request.user)
            done = _("%(name)s さんの利用を停止しました。")
        else:
            services.membership_restore(membership=membership, by=request.user)
            done = _("%(name)s さんの利用を再開しました。")
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"name": name})
    return redirect("members:detail", council.pk, membership.pk)


@require_POST
@council_permission("members.manage")
def member_role(request: PermittedRequest, council: Council, membership_id: int) -> HttpResponse:
    return _membership_action(request, council, membership_id, "role")


@require_POST
@council_permission("members.manage")
def member_suspend(request: PermittedRequest, council: Council, membership_id: int) -> HttpResponse:
    return _membership_action(request, council, membership_id, "suspend")


@require_POST
@council_permission("members.manage")
def member_restore(request: PermittedRequest, council: Council, membership_id: int) -> HttpResponse:
    return _membership_action(request, council, membership_id, "restore")


@require_POST
@council_permission("members.manage")
def member_reset_sheet(request: PermittedRequest, council: Council, membership_id: int) -> HttpResponse:
    """A new sign-in sheet for a member who forgot their password (no e-mail needed)."""
    membership = selectors.membership_get_for_manager(request.user, council, membership_id)
    try:
        issued = services.reset_sheet_issue(membership=membership, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("members:detail", council.pk, membership.pk)
    _remember_sheet(request, issued)
    messages.success(
        request,
        _("%(name)s さんの新しいログイン用紙をつくりました。印刷して本人に渡してください。前の用紙はもう使えません。")
        % {"name": membership.user},
    )
    return redirect(_sheet_url(issued.invitation))


@require_POST
@login_required
def invitation_reissue(request: AuthenticatedRequest, council_id: int, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_manager(request.user, council_id, invitation_id)
    try:
        issued = services.invitation_reissue(invitation=invitation, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect("members:list", council_id)
    if invitation.delivery == Invitation.Delivery.SHEET:
        _remember_sheet(request, issued)
        messages.success(request, _("新しいログイン用紙をつくりました。前の用紙はもう使えません。"))
        return redirect(_sheet_url(invitation))
    messages.success(
        request, _("%(email)s に招待を送り直しました。前のリンクはもう使えません。") % {"email": invitation.email}
    )
    return redirect("members:list", council_id)


@require_POST
@login_required
def invitation_revoke(request: AuthenticatedRequest, council_id: int, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_manager(request.user, council_id, invitation_id)
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("招待を取り消しました。リンク・ログイン用紙はもう使えません。"))
    return redirect("members:list", council_id)


@login_required
def invitation_sheet(request: AuthenticatedRequest, council_id: int, invitation_id: int) -> HttpResponse:
    """The printable sign-in sheet: shown to the admin who issued it, from their session only."""
    invitation = selectors.invitation_get_for_manager(request.user, council_id, invitation_id)
    token = _sheet_token(request, invitation)
    context: dict[str, Any] = {
        "council": invitation.council,
        "invitation": invitation,
        "token": token,
        "reset": invitation.purpose == Invitation.Purpose.RESET,
    }
    if token:
        context |= {
            "code": tokens.grouped(token),
            "url": services.invitation_url(token),
            "code_url": settings.SASAEAI_BASE_URL.rstrip("/") + reverse("invitation_code"),
            "qr_url": reverse("members:sheet_qr", args=[council_id, invitation.pk]),
            "password_min_length": settings.SASAEAI_PASSWORD_MIN_LENGTH,
        }
    response = render(request, "accounts/members/sheet.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
def invitation_sheet_qr(request: AuthenticatedRequest, council_id: int, invitation_id: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_manager(request.user, council_id, invitation_id)
    token = _sheet_token(request, invitation)
    if token is None:
        raise Http404
    out = BytesIO()
    segno.make(services.invitation_url(token), error="m").save(out, kind="svg", scale=10, border=4)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


def invitation_code(request: HttpRequest) -> HttpResponse:
    """Type the code of a sign-in sheet (for a phone or PC without a camera)."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = tokens.normalize(form.cleaned_data["code"])
        if selectors.invitation_by_token(code) is not None:
            return redirect("invitation_accept", code)
        form.add_error("code", _("このコードの招待は見つかりません。用紙のとおりに入力したか確かめてください。"))
    return render(request, "accounts/invitation_code.html", {"form": form})


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_by_token(token)
    problem = services.invitation_problem(invitation)
    if problem or invitation is None:
        status = 404 if invitation is None else 410
        return render(request, "accounts/invitation_invalid.html", {"problem": problem}, status=status)
    signed_in = request.user if request.user.is_authenticated else None
    if invitation.purpose == Invitation.Purpose.RESET:
        return _accept_reset(request, invitation)
    if invitation.user_id is not None:
        return _accept_existing(request, invitation, token)
    form = AcceptForm(
        request.POST or None,
        fixed_username=invitation.username,
        initial={
            "display_name": invitation.display_name,
            "username": invitation.username or _suggested_username(invitation),
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                invitation=invitation,
                user=None,
                username=data["username"],
                display_name=data["display_name"],
                password=data["password1"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _("%(council)s に参加しました。次からはユーザー名 %(username)s とパスワードでログインします。")
                % {"council": invitation.council.name, "username": user.get_username()},
            )
            return redirect("home")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form, "signed_in": signed_in},
    )


def _accept_reset(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    """A reset sheet: the person sets a new password without being signed in (they forgot it), then is
    signed in. Other sessions of theirs end because the password changed."""
    form = ResetPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.reset_sheet_accept(invitation=invitation, password=form.cleaned_data["password1"])
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            login(request, user, backend=MODEL_BACKEND)
            messages.success(
                request,
                _("新しいパスワードを決めました。次からはユーザー名 %(username)s とこのパスワードでログインします。")
                % {"username": user.get_username()},
            )
            return redirect("home")
    return render(request, "accounts/invitation_reset.html", {"invitation": invitation, "form": form})


def _suggested_username(invitation: Invitation) -> str:
    local = invitation.email.split("@", 1)[0] if invitation.email else ""
    return local[:150]


def _accept_existing(request: HttpRequest, invitation: Invitation, token: str) -> HttpResponse:
    """An invitation for someone who already has an account: they sign in as themselves, then join."""
    is_them = request.user.is_authenticated and request.user.pk == invitation.user_id
    if request.method == "POST" and is_them:
        try:
            services.invitation_accept(invitation=invitation, user=request.user)  # type: ignore[arg-type]  # signed in
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(council)s に参加しました。") % {"council": invitation.council.name})
            return redirect("council_detail", invitation.council_id)
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "existing": True,
            "is_them": is_them,
            "signed_in": request.user if request.user.is_authenticated else None,
            "login_url": reverse("login") + "?next=" + reverse("invitation_accept", args=[token]),
        },
    )


def _council_created(request: HttpRequest, issued: services.IssuedInvitation) -> HttpResponse:
    invitation = issued.invitation
    if invitation.delivery == Invitation.Delivery.SHEET:
        _remember_sheet(request, issued)
        messages.success(
            request,
            _("%(name)s をつくりました。最初の社協管理者のログイン用紙を印刷して渡してください。")
            % {"name": invitation.council.name},
        )
        return redirect(_sheet_url(invitation))
    messages.success(
        request,
        _("%(name)s をつくり、最初の社協管理者 %(email)s に招待のメールを送りました。")
        % {"name": invitation.council.name, "email": invitation.email},
    )
    return redirect("home")


# What a council usually has below it: a prefecture its municipalities, a city its wards or districts.
CHILD_KIND = {"prefecture": "municipal", "municipal": "district", "ward": "district"}


def _create_council(
    request: AuthenticatedRequest,
    parent: Council | None,
    parents: list[Council] | None,
    initial: dict[str, str] | None = None,
) -> Any:
    form = CouncilCreateForm(request.POST or None, parents=parents, fixed_parent=parent, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if parents is not None:
            parent = form.parents.get(data["parent"]) if data.get("parent") else None
        try:
            issued = services.council_create_with_admin(
                name=data["name"],
                kind=data["kind"],
                parent=parent,
                by=request.user,
                admin_email=data["admin_email"],
                admin_name=data["admin_name"],
                admin_username=data["admin_username"],
            )
        except ValidationError as exc:
            form_errors_from(exc, form)
        else:
            return _council_created(request, issued)
    return form


@login_required
def council_create(request: AuthenticatedRequest) -> HttpResponse:
    """An operator (superuser) creates a council, top-level or below any other."""
    if not request.user.is_superuser:
        raise Http404
    result = _create_council(request, None, list(Council.objects.order_by("name")))
    if isinstance(result, HttpResponse):
        return result
    return render(request, "accounts/council_create.html", {"form": result, "parent": None})


@council_permission("councils.create")
def council_child_create(request: PermittedRequest, council: Council) -> HttpResponse:
    """A council admin creates a council directly below their own (a 市社協 its 地区社協)."""
    result = _create_council(request, council, None, initial={"kind": CHILD_KIND.get(council.kind, council.kind)})
    if isinstance(result, HttpResponse):
        return result
    return render(request, "accounts/council_create.html", {"form": result, "parent": council})
