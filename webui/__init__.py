"""The Streamlit app around the ``docclass`` engine (which never imports Streamlit).

``service`` (the one process-wide service), ``nav`` (the page registry), ``router`` (the
main script ``app.py`` serves), ``sidebar``, ``session`` (flash messages, toasts, time
zone), ``format`` (pure text helpers), ``result`` (one document's result), ``jobs`` (job
tables), ``widgets``, ``actions`` (uploads to the service) and ``admin`` (Settings page).
The page scripts themselves are in ``pages/``.
"""
