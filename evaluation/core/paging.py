"""Long public lists shown a page at a time: the directory and the results overview of a city
with thousands of departments stay a page a phone loads quickly (a 20,000-department directory
was 13 MB in one page); the open data exports stay complete."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

PAGE_SIZE = 100


@dataclass(frozen=True)
class Paging:
    number: int
    pages: int
    total: int
    path: str
    params: tuple[tuple[str, str], ...] = ()
    size: int = PAGE_SIZE

    @property
    def start(self) -> int:
        return (self.number - 1) * self.size

    def href(self, number: int) -> str:
        """The address of another page of the same list: the same search, sort and period."""
        params = [(key, value) for key, value in self.params if value]
        if number > 1:
            params.append(("page_number", str(number)))
        return f"{self.path}?{urlencode(params)}" if params else self.path


def page_of(total: int, requested: Any, path: str, params: dict[str, str] | None = None,
            size: int = PAGE_SIZE) -> Paging:
    """The page asked for (``?page_number=N``), within the list: a number past the end shows the last
    page, anything that is not a number the first."""
    pages = max(1, -(-total // size))
    try:
        number = int(str(requested)[:6])
    except ValueError:
        number = 1
    return Paging(number=min(max(number, 1), pages), pages=pages, total=total, path=path,
                  params=tuple((params or {}).items()), size=size)
