"""Serving uploaded files (report attachments, committee materials) after a permission check."""

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404


def stored_file_response(field_file: FieldFile, *, name: str, content_type: str) -> FileResponse:
    """The file as a download (images inline), never sniffed or run as a page by the browser."""
    try:
        handle = field_file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=content_type, as_attachment=not content_type.startswith("image/"), filename=name
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
