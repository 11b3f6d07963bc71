"""docclass in the browser: a thin router over ``pages/`` plus the sidebar every page shares.

Run with ``streamlit run app.py``. All engine work happens in ``docclass/`` (one runner per
process, see ``docclass.ui.get_runner``); the pages only read and write through it.

Everything runs inside ``main()`` on purpose: Streamlit installs this script as
``sys.modules["__main__"]``, so every extraction process the runner spawns re-imports this
file as ``__mp_main__``. The guard at the bottom keeps such a child from starting a second
app (and a second runner) inside itself; the imports stay in ``main()`` so the child does not
pay for importing Streamlit either.
"""

from __future__ import annotations


def main() -> None:
    """Page config, the shared runner, finished-job toasts, navigation and the sidebar."""
    import streamlit as st

    from docclass import ui

    st.set_page_config(page_title="docclass", page_icon=":material/folder_managed:", layout="wide")
    try:
        runner = ui.get_runner()
    except Exception as exc:  # bad settings or an unusable database: say which, stop here
        st.error(f"docclass could not start: {ui.md_escape(f'{type(exc).__name__}: {exc}')}")
        st.stop()

    ui.announce_finished_jobs(runner)
    page = st.navigation(ui.app_pages())
    ui.render_sidebar(runner)
    ui.run_page(page)


if __name__ == "__main__":  # Streamlit runs the script as "__main__"; spawned workers do not
    main()
