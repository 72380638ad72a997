"""Factories of the plan tests: a valid plan file, how a refused one reads, and an upload through the
import screen."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sasaeai.plans import planfile
from sasaeai.plans.models import PlanNode

MAX = 2 * 1024 * 1024

VALID = """\
format: sasaeai-plan/1
council: テスト市社会福祉協議会
plans:
- title: テスト計画
  kind: activity
  period:
    start: 2026
    end: 2030
  levels:
  - 基本目標
  - 推進目標
  issues:
  - code: '01'
    title: つながりの希薄化
  nodes:
  - code: １
    title: 目標一
    issues:
    - '01'
    children:
    - code: １-①
      title: 推進目標一
      priority: true
"""


def problems_of(text_or_bytes):
    raw = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    with pytest.raises(planfile.PlanFileError) as info:
        planfile.parse(raw, filename="bad.yaml", max_bytes=MAX)
    return info.value


def upload(client, council, content, name="plan.yaml"):
    return client.post(
        reverse("plans:import", args=[council.pk]),
        {"file": SimpleUploadedFile(name, content, content_type="application/x-yaml")},
    )


def titles(parent):
    return list(PlanNode.objects.filter(parent=parent).order_by("position").values_list("title", flat=True))
