"""Documents page: search every job's documents by file name, category, status, error type,
review state and confidence; the filters live in the URL, so a filtered view can be shared,
and the download holds exactly the rows the filter finds.
"""

from __future__ import annotations

from functools import partial

import streamlit as st

from docclass.schemas import DocumentQuery
from webui import jobs
from webui.filters import filter_bar
from webui.result import render_result
from webui.service import get_service
from webui.sidebar import default_engine_facts

PAGE_SIZE = 200

service = get_service()
default_engine_facts(service.settings)

st.title("Search documents")
st.caption(
    "Every job's documents in one place. Filter them, share the page's address to share the "
    "view, and download exactly what the filter finds."
)

filters = filter_bar(
    "docs",
    categories=service.categories_found(),
    error_types=list(service.failures()),
    show_job=True,
)
query = filters.query()
total = service.search(query, limit=0).total
pages = max(1, -(-total // PAGE_SIZE))
page_no = 1
head = st.columns([3, 1, 1, 1.2])
head[0].caption(f"{total:,} document(s) match" + ("" if filters.active else " (no filter)"))
if pages > 1:
    page_no = int(
        head[3].number_input("Page", min_value=1, max_value=pages, value=1, key="docs_page")
    )


def _download(fmt: str, wanted: DocumentQuery) -> bytes:
    return service.export_found(wanted, fmt)


for column, fmt, mime in ((head[1], "csv", "text/csv"), (head[2], "json", "application/json")):
    column.download_button(
        f"{fmt.upper()} ({total:,})",
        data=partial(_download, fmt, query),
        file_name=f"docclass-documents.{fmt}",
        mime=mime,
        on_click="ignore",
        icon=":material/download:",
        disabled=total == 0,
        key=f"docs_download_{fmt}",
        help=f"Every document the filter finds, as {fmt.upper()}",
    )

found = service.search(query, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
table = jobs.found_frame(found.rows)
if table.empty:
    st.info("No document matches these filters.", icon=":material/search_off:")
    st.stop()

key = jobs.table_key("docs_table", query, page_no)
picked = jobs.selected_row(key)
if picked is None or picked >= len(table):  # nothing selected: the table gets the room
    left, right = st.container(), None
    st.caption("Select a row to see that document's result beside the table.")
else:
    left, right = st.columns([3, 2], gap="large")
with left:
    row = jobs.document_table(table, key, max_height=560)
doc = service.get_document(str(table.iloc[row]["doc_id"])) if row is not None else None
if right is not None and doc is not None:
    with right, st.container(border=True):
        render_result(doc, key="docs_doc", expand_text=True, service=service)
