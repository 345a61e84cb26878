"""Reading a form that carries one file (the chat's "Share a file"): app.form_fields
refuses file parts for every text form, so this is the one reader that accepts one, and
reads at most `limit` + 1 of its bytes (enough to tell it is too big). The request's own
body limit (request_max_body_size on the route) stops a larger body before it is
buffered: Litestar then raises RequestEntityTooLarge, which the route answers."""

from __future__ import annotations

from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import UploadFile

from app.form_fields import NotATextForm

MULTIPART_SLACK = 64 * 1024  # the parts' headers and the text fields around the file


@dataclass(frozen=True)
class Upload:
    fields: dict[str, str]
    name: str  # as the sender's machine named it ("" without a file)
    content: bytes  # at most limit + 1 bytes


async def read_upload(request: Request, *, field: str, limit: int) -> Upload:
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError) as error:
        raise NotATextForm("a form field is not readable text") from error
    fields: dict[str, str] = {}
    name, content = "", b""
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            if key == field and not name and not content:
                name, content = value.filename or "", await value.read(limit + 1)
            await value.close()
        else:
            fields.setdefault(key.replace("\x00", ""), value)
    return Upload(fields, name, content)


async def typed_fields(request: Request) -> dict[str, str]:
    """A text form's fields exactly as typed: unlike app.form_fields.text_fields, NULs are
    kept, so that the chat refuses a message carrying one instead of sending another text
    than the one written. A file part is still refused."""
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError) as error:
        raise NotATextForm("a form field is not readable text") from error
    fields: dict[str, str] = {}
    for key, value in form.multi_items():
        if isinstance(value, UploadFile):
            await value.close()
            raise NotATextForm("a form field was sent as a file")
        fields.setdefault(key, value)
    return fields
