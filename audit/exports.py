"""CSV export of admin querysets, streamed so a million rows never sit in memory."""

import csv
from collections.abc import Callable, Iterable
from itertools import chain

from django.http import StreamingHttpResponse

Column = tuple[str, Callable[[object], object]]

# A cell opening with one of these would be run as a formula by a spreadsheet.
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


class _Passthrough:
    """The file object csv.writer wants; each writerow returns the line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_cell(value: object) -> str:
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_TRIGGERS):
        return "'" + text
    return text


def csv_stream(rows: Iterable, columns: list[Column], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Passthrough())
    header = writer.writerow([name for name, _ in columns])
    lines = (writer.writerow([csv_cell(value(row)) for _, value in columns]) for row in rows)
    response = StreamingHttpResponse(chain([header], lines), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
