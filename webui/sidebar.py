"""The sidebar: the running jobs (live, on every page), and the taxonomy and classifier of
what the page shows, which each page states (a job's own, the pickers' choice, or the
defaults for new jobs)."""

from __future__ import annotations

import streamlit as st

from docclass.jobs.service import Service
from docclass.settings import Settings
from webui.format import effective_classifier, md_escape, taxonomy_label
from webui.jobs import ACTIVE
from webui.session import finished_watched_jobs

# How often the running-jobs count is read again while any job runs (seconds), and while
# none does (a job started in another browser or by the CLI shows up within this).
SIDEBAR_REFRESH_S = 2.0
SIDEBAR_IDLE_S = 10.0


def active_job_count(service: Service) -> int:
    return service.count_jobs(list(ACTIVE))


def render_sidebar(service: Service) -> None:
    """A running-jobs count that polls quickly while something runs, slowly otherwise."""
    with st.sidebar:
        live = active_job_count(service) > 0

        @st.fragment(run_every=SIDEBAR_REFRESH_S if live else SIDEBAR_IDLE_S)
        def running_jobs() -> None:
            count = active_job_count(service)
            st.metric("Running jobs", count)
            # A full run re-decides run_every and shows the finished-job toasts.
            if (count > 0) != live or finished_watched_jobs(service):
                st.rerun(scope="app")

        running_jobs()


def engine_facts(title: str, taxonomy: str, classifier: str) -> None:
    """The taxonomy and classifier of what the page shows, under a title that says whose."""
    with st.sidebar:
        st.caption(md_escape(title))
        st.markdown(f"**Taxonomy** · {md_escape(taxonomy_label(taxonomy))}")
        st.markdown(f"**Classifier** · {md_escape(classifier)}")


def default_engine_facts(settings: Settings) -> None:
    """Pages about no one job: the defaults a new job gets."""
    engine_facts("Defaults for new jobs", settings.taxonomy, effective_classifier(settings))
