"""docclass: extract, detect and classify documents; jobs kept in SQLite."""

__version__ = "0.1.0"
