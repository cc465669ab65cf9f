"""Counts every request the bad-input crawls send, and the 5xx among them (issue 9).

`crawl_tally` (session fixture, autouse in the crawl files) wraps Django's request handler
and, when the session ends, prints one line and writes it to /tmp/crawl-tally.txt:
`bad-input crawl: N inputs tried, 500s = M (database: ...)`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.handlers.base import BaseHandler
from django.db import connection

TALLY: Counter = Counter()
SUMMARY_FILE = Path("/tmp/crawl-tally.txt")


@pytest.fixture(scope="session", autouse=True)
def crawl_tally() -> Iterator[Counter]:
    original = BaseHandler.get_response

    def counted(self, request):
        response = original(self, request)
        TALLY["inputs"] += 1
        if response.status_code >= 500:
            TALLY["5xx"] += 1
        return response

    BaseHandler.get_response = counted
    try:
        yield TALLY
    finally:
        BaseHandler.get_response = original
        line = (
            f"bad-input crawl: {TALLY['inputs']} inputs tried, 500s = {TALLY['5xx']} "
            f"(database: {connection.vendor})"
        )
        print("\n" + line)
        SUMMARY_FILE.write_text(line + "\n", encoding="utf-8")
