"""A size cap on uploaded files that holds while the file arrives, not after.

Django's own handlers store the whole upload (in memory, then in a temporary file) before any
form can look at its size, so a 2 GB "CSV" would fill the disk first and be refused after.
This handler stands first in FILE_UPLOAD_HANDLERS: it counts each file's bytes and, once past
UPLOAD_MAX_BYTES, passes nothing more on. The file is then stood in for by an empty
placeholder that carries the real size, and the form's own size check refuses it with its
usual message. The rest of the request is still read from the socket and dropped; a proxy
limit in front (nginx `client_max_body_size`) also saves the bandwidth.
"""

from __future__ import annotations

import io

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler


class OversizeUpload(UploadedFile):
    """What is left of a file over the cap: its name and size, none of its content."""

    def __init__(self, name: str | None, size: int, content_type: str | None, charset: str | None):
        super().__init__(io.BytesIO(b""), name, content_type, size, charset)


class SizeCappedUploadHandler(FileUploadHandler):
    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        if self.received > settings.UPLOAD_MAX_BYTES:
            return None  # the later handlers (memory, temporary file) get no more of it
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if self.received <= settings.UPLOAD_MAX_BYTES:
            return None  # a later handler holds the whole file and returns it
        return OversizeUpload(self.file_name, self.received, self.content_type, self.charset)
