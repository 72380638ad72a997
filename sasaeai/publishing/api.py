"""The read-only JSON API of published data (django-ninja), at /public/api/v1/. (being built)"""

from ninja import NinjaAPI

api = NinjaAPI(title="ささえあい 公開データAPI", version="1", urls_namespace="public_api", docs_url=None)
