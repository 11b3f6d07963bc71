"""One analysis per content: identical uploads under the same job settings share one read.

A document's result is a pure function of its bytes and its job's settings (taxonomy,
classifier, corrections version), so a worker reads each content once: a copy claimed while
the first is being read waits for it, and a copy claimed later reuses the answer kept here.
Only answers are kept, never failures, so "retry" always reads again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

from docclass.schemas import DocumentResult
from docclass.store.queue import Claimed

KEEP = 512  # answers kept per worker (a few KB each)


class Duplicates:
    def __init__(self, keep: int = KEEP) -> None:
        self._keep = keep
        self._lock = threading.Lock()
        self._answers: OrderedDict[Hashable, tuple[str, DocumentResult]] = OrderedDict()
        self._followers: dict[Hashable, list[Claimed]] = {}
        self._leaders: dict[str, Hashable] = {}  # doc id being read -> its content key

    def join(self, key: Hashable, claimed: Claimed) -> DocumentResult | bool:
        """A known answer (a copy for this document), True to read it, False to wait."""
        with self._lock:
            known = self._answers.get(key)
            if known is not None:
                self._answers.move_to_end(key)
                return _copy(known[1], known[0])
            if key in self._followers:
                self._followers[key].append(claimed)
                return False
            self._followers[key] = []
            self._leaders[claimed.doc_id] = key
            return True

    def settle(
        self, doc_id: str, result: DocumentResult | None
    ) -> list[tuple[Claimed, DocumentResult | None]]:
        """The read of ``doc_id`` ended: its waiting copies and what each gets (None: read it
        yourself, the first one was handed back)."""
        with self._lock:
            key = self._leaders.pop(doc_id, None)
            if key is None:
                return []
            followers = self._followers.pop(key, [])
            if result is not None and result.error is None:
                self._answers[key] = (doc_id, result)
                while len(self._answers) > self._keep:
                    self._answers.popitem(last=False)
        if result is None:
            return [(f, None) for f in followers]
        return [(f, _copy(result, doc_id)) for f in followers]


def _copy(result: DocumentResult, source: str) -> DocumentResult:
    meta = {**(result.classifier_meta or {}), "same_content_as": source}
    return result.model_copy(update={"classifier_meta": meta})
