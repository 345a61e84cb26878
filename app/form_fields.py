"""The one way a handler reads a posted form: text fields only.

No form of ours has a file input, so a file part is a broken client or an attack: a
422 page, never an UploadFile reaching a parser that expects text; so is a part in a
charset that cannot be read. NUL characters, which no keyboard types and PostgreSQL
refuses to store, are dropped. A field sent twice counts once (its first value)."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import UploadFile
from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY


class NotATextForm(ClientException):
    status_code = HTTP_422_UNPROCESSABLE_ENTITY


async def text_fields(request: Request) -> dict[str, str]:
    try:
        form = await request.form()
    except (UnicodeDecodeError, LookupError) as error:  # a multipart part's bytes or charset
        raise NotATextForm("a form field is not readable text") from error
    items = list(form.multi_items())
    if any(not isinstance(value, str) for _name, value in items):
        for _name, value in items:
            if isinstance(value, UploadFile):
                await value.close()
        raise NotATextForm("a form field was sent as a file")
    fields: dict[str, str] = {}
    for name, value in items:
        fields.setdefault(name.replace("\x00", ""), value.replace("\x00", ""))
    return fields
