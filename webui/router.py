"""The app's main script: page config, the shared service, finished-job toasts, navigation,
the sidebar, then the page the URL names.

``app.py`` serves this script (``st.App``); tests run it with ``AppTest.from_file``. Every URL
runs through here, so every page has the config, the sidebar and the toasts.

Everything runs inside ``main()`` on purpose: while a script runs, Streamlit installs it as
``sys.modules["__main__"]``, so a reader process the service starts meanwhile imports this
file again as ``__mp_main__``. The guard keeps such a child from running the app (and
starting a second service) inside itself; the imports stay in ``main()`` so the child does
not pay for importing Streamlit either.
"""

from __future__ import annotations

# Metric values wrap instead of ending in "…": a category such as "purchase requisition
# form" is read whole in a narrow result panel.
APP_CSS = (
    "<style>[data-testid='stMetricValue'], [data-testid='stMetricValue'] * "
    "{white-space: normal !important; overflow: visible !important; "
    "text-overflow: clip !important; overflow-wrap: anywhere;}</style>"
)


def main() -> None:
    import streamlit as st

    from webui.format import md_escape
    from webui.nav import app_pages
    from webui.service import get_service
    from webui.session import announce_finished_jobs
    from webui.sidebar import render_sidebar

    st.set_page_config(page_title="docclass", page_icon=":material/folder_managed:", layout="wide")
    st.html(APP_CSS)  # our own rules only: no user content is ever rendered as HTML
    try:
        service = get_service()
    except Exception as exc:  # bad settings or an unusable database: say which, stop here
        st.error(f"docclass could not start: {md_escape(f'{type(exc).__name__}: {exc}')}")
        st.stop()
        return

    announce_finished_jobs(service)
    page = st.navigation(app_pages())
    render_sidebar(service)
    page.run()


if __name__ == "__main__":  # Streamlit runs the script as "__main__"; reader processes do not
    main()
