"""The job store: SQLModel tables and small keyword-only functions over them.

``db`` (engines), ``tables``, ``jobs`` (what analysts do to jobs), ``queue`` (what workers
ask), ``documents`` (reading results back), ``corrections`` and ``status`` (the one
counts/progress query).
"""

from docclass.store.db import Database, new_id

__all__ = ["Database", "new_id"]
