"""The app's main script: page config, the shared service, finished-job toasts, navigation,
the sidebar, then the page the URL names.

``app.py`` serves this script (``st.App``); tests run it with ``AppTest.from_file``. Every URL
runs through here, so every page has the config, the sidebar and the toasts.
"""

from __future__ import annotations

import streamlit as st

from webui.format import md_escape
from webui.nav import app_pages
from webui.service import get_service
from webui.session import announce_finished_jobs
from webui.sidebar import render_sidebar

st.set_page_config(page_title="docclass", page_icon=":material/folder_managed:", layout="wide")
try:
    service = get_service()
except Exception as exc:  # bad settings or an unusable database: say which, stop here
    st.error(f"docclass could not start: {md_escape(f'{type(exc).__name__}: {exc}')}")
    st.stop()

announce_finished_jobs(service)
page = st.navigation(app_pages())
render_sidebar(service)
page.run()
