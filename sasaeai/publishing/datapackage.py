"""The Frictionless Data Package (``datapackage.json``) describing one published plan's CSV files.

Each resource is one table of ``opendata.TABLES`` as CSV (UTF-8 with a BOM: encoding ``utf-8-sig``); its
schema lists every column with its ASCII ``name`` (exactly the CSV header), type, Japanese ``title`` and
description, the primary key and the foreign keys to ``nodes``. Paths are absolute URLs under
``settings.SASAEAI_BASE_URL``; ``path_for`` lets a caller (the tests) point them at local files instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

from .opendata import TABLES, Source, Table, absolute


def field(column: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": column.name,
        "type": column.type,
        "title": str(column.title),
        "description": str(column.description),
    }
    if column.type == "boolean":
        out["trueValues"], out["falseValues"] = ["true"], ["false"]
    if column.required:
        out["constraints"] = {"required": True}
    return out


def schema(table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fields": [field(c) for c in table.columns],
        "missingValues": [""],
        "primaryKey": list(table.primary_key),
    }
    if table.foreign_keys:
        out["foreignKeys"] = [
            {"fields": own, "reference": {"resource": resource, "fields": target}}
            for own, resource, target in table.foreign_keys
        ]
    return out


def default_path(source: Source, table: Table) -> str:
    return absolute(
        reverse("site:opendata_file", args=[source.site.slug, source.public_plan.plan_id, f"{table.name}.csv"])
    )


def descriptor(source: Source, path_for: Callable[[Source, Table], str] = default_path) -> dict[str, Any]:
    plan = source.public_plan
    return {
        "profile": "tabular-data-package",
        "name": f"sasaeai-{source.site.slug}-plan-{plan.plan_id}",
        "title": f"{source.plan_title}（{source.council_name}）",
        "description": _("%(council)sが公表した地域福祉活動計画のオープンデータです。%(attribution)s")
        % {"council": source.council_name, "attribution": source.attribution},
        "homepage": source.page_url,
        "version": str(source.site.version),
        "created": plan.structure.published_at.isoformat(timespec="seconds"),
        "licenses": [{"name": source.licence, "path": source.licence_url, "title": source.licence_title}],
        "sources": [{"title": source.council_name, "path": source.page_url}],
        "resources": [
            {
                "name": table.name,
                "title": str(table.title),
                "description": str(table.description),
                "profile": "tabular-data-resource",
                "path": path_for(source, table),
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8-sig",
                "dialect": {"delimiter": ",", "header": True},
                "schema": schema(table),
            }
            for table in TABLES
        ],
    }
