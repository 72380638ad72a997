"""The Django admin, for the installation's superusers only.

Councils never need it: everything a council does has its own page. A council's admin (even with
``is_staff``) gets the same 404 as a page that does not exist, and the admin has no sign-in form of its
own: people sign in on the site's sign-in page (with its lockout), then come back.
"""

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _


class SuperuserAdminSite(AdminSite):
    site_header = _("ささえあい システム管理（スーパーユーザー専用）")
    site_title = _("ささえあい システム管理")
    index_title = _("システム管理")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)

    def login(self, request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not a superuser: the admin is not there for them.
            raise Http404
        after = request.GET.get(REDIRECT_FIELD_NAME, "")
        if not url_has_allowed_host_and_scheme(after, allowed_hosts={request.get_host()}):
            after = reverse("admin:index", current_app=self.name)
        return redirect_to_login(after, settings.LOGIN_URL, REDIRECT_FIELD_NAME)
