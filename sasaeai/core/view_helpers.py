"""Helpers shared by the views of every app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from sasaeai.accounts.decorators import PermittedRequest


def form_errors_from(exc: ValidationError, form: forms.BaseForm) -> None:
    """Show a service's ValidationError on the form: on its field when the form has one, else on top."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def plan_context(request: PermittedRequest, plan: Any, **extra: Any) -> dict[str, Any]:
    """The context every page of a plan starts from: the plan and the permissions held in its council."""
    return {"plan": plan, "perms_here": request.council_permissions, **extra}
