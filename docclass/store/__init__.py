"""The job store: SQLModel tables and small keyword-only functions over them.

``db`` (engines, SQLite or PostgreSQL, and the schema's migrations in ``migrations/``),
``tables``, ``jobs`` (what analysts do to jobs), ``queue`` (what workers ask), ``documents``
(reading results back), ``corrections``, ``status`` (the one counts/progress query) and
``blobs`` (uploads kept in a server database for workers on other machines).
"""

from docclass.store.db import Database, new_id

__all__ = ["Database", "new_id"]
