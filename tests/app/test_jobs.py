"""The Jobs page: every job with its name, taxonomy and classifier, a status filter, sorting
in the URL, links, and a delete confirmed in a dialog."""

from __future__ import annotations

from docclass.jobs.service import Service
from docclass.jobs.uploads import Upload
from docclass.store.documents import job_documents
from tests.app.support import new_app, no_exception, open_page, shown, submit
from tests.paths import eval_texts
from webui import nav


def test_jobs_page_lists_filters_links_and_deletes(idle_service: Service) -> None:
    cancelled = submit(idle_service, eval_texts("news_article", 2))
    idle_service.cancel(cancelled)
    pending = submit(idle_service, eval_texts("receipt", 1))
    at = open_page(new_app(), nav.PAGE_JOBS)
    no_exception(at)
    table = at.dataframe[0].value
    assert table["job_id"].tolist() == [pending, cancelled], "newest first"
    assert table["link"].tolist() == [f"job_status?job={pending}", f"job_status?job={cancelled}"]
    assert table["status"].tolist() == [["pending"], ["cancelled"]]
    assert table["files"].tolist() == [1, 2]
    assert table["taxonomy"].tolist() == ["default", "default"]
    assert table["classifier"].tolist() == ["local", "local"]
    assert all(" · " in name for name in table["name"]), "date and first file by default"
    # The engine's one progress rule: cancelled documents will not be read, and a job
    # whose every document was cancelled read nothing (not "100%" beside "0 done").
    assert table["progress"].tolist() == [0.0, 0.0]

    at.pills(key="jobs_status_filter").set_value(["cancelled"]).run()
    assert at.dataframe[0].value["job_id"].tolist() == [cancelled]

    at.session_state["jobs_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert any(cancelled in m for m in shown(at.markdown))
    assert [link.proto.page for link in at.get("page_link")] == [nav.STATUS_URL]
    uploads = [
        idle_service.uploads.path(d.sha256)
        for d in job_documents(db=idle_service.db, job_id=cancelled)
    ]
    assert all(p.is_file() for p in uploads)
    at.button(key="jobs_delete").click().run()
    no_exception(at)
    warning = shown(at.warning)[0]
    assert cancelled in warning and "2 files" in warning
    assert idle_service.get_job(cancelled) is not None, "not before confirming"

    at.button(key="jobs_delete_yes").click().run()
    no_exception(at)
    assert idle_service.get_job(cancelled) is None
    assert not any(p.exists() for p in uploads), "its uploads are removed too"
    assert shown(at.success) == [f"Job {cancelled} deleted."]
    at.pills(key="jobs_status_filter").set_value([]).run()
    assert at.dataframe[0].value["job_id"].tolist() == [pending]


def test_keep_it_deletes_nothing(idle_service: Service) -> None:
    job_id = submit(idle_service, eval_texts("receipt", 1))
    at = open_page(new_app(), nav.PAGE_JOBS)
    at.session_state["jobs_table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="jobs_delete").click().run()
    at.button(key="jobs_delete_no").click().run()
    no_exception(at)
    assert not at.warning
    assert idle_service.get_job(job_id) is not None


def test_jobs_sort_by_name_and_the_order_is_in_the_url(idle_service: Service) -> None:
    text = eval_texts("email", 1)[0]
    for name in ("beta", "alpha", "gamma"):
        idle_service.submit([Upload(text.name, text)], taxonomy="sensitivity", name=name)
    at = open_page(new_app(), nav.PAGE_JOBS)
    assert at.dataframe[0].value["name"].tolist() == ["gamma", "alpha", "beta"]
    assert at.dataframe[0].value["taxonomy"].tolist() == ["sensitivity"] * 3
    at.selectbox(key="jobs_sort").set_value("name").run()
    at.segmented_control(key="jobs_order").set_value("asc").run()
    no_exception(at)
    assert at.dataframe[0].value["name"].tolist() == ["alpha", "beta", "gamma"]
    assert (at.query_params["sort"], at.query_params["order"]) == ("name", "asc")
    shared = open_page(new_app(), nav.PAGE_JOBS, sort="name", order="desc")
    assert shared.dataframe[0].value["name"].tolist() == ["gamma", "beta", "alpha"]


def test_an_empty_list_says_so(idle_service: Service) -> None:
    at = open_page(new_app(), nav.PAGE_JOBS)
    assert shown(at.info) == ["No jobs yet: start one on Batch."]
    at.pills(key="jobs_status_filter").set_value(["failed"]).run()
    assert shown(at.info) == ["No jobs match this filter."]
