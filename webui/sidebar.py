"""The sidebar every page shows: classifier, taxonomy and the running jobs (live)."""

from __future__ import annotations

import streamlit as st

from docclass.jobs.service import Service
from webui.format import effective_classifier, md_escape, taxonomy_label
from webui.jobs import ACTIVE
from webui.session import finished_watched_jobs

# How often the running-jobs count is read again while any job runs (seconds).
SIDEBAR_REFRESH_S = 2.0


def active_job_count(service: Service) -> int:
    return service.count_jobs(list(ACTIVE))


def render_sidebar(service: Service) -> None:
    """Engine facts, and a running-jobs count that polls only while something runs."""
    settings = service.settings
    with st.sidebar:
        st.caption("Engine")
        st.markdown(f"**Classifier** · {md_escape(effective_classifier(settings))}")
        st.markdown(f"**Taxonomy** · {md_escape(taxonomy_label(settings.taxonomy))}")
        live = active_job_count(service) > 0

        @st.fragment(run_every=SIDEBAR_REFRESH_S if live else None)
        def running_jobs() -> None:
            count = active_job_count(service)
            st.metric("Running jobs", count)
            # A full run re-decides run_every (stop polling) and shows the finished-job toasts.
            if (count > 0) != live or finished_watched_jobs(service):
                st.rerun(scope="app")

        running_jobs()
