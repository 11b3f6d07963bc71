"""Jobs: uploads in, documents through the pipeline in reader processes, outcomes saved.

``uploads`` (spooling, hashing), ``pipeline`` (one document's stages), ``processes`` (the warm,
capped reader pool), ``worker`` (claim/read/save loops), ``finish`` (a job's finishing step),
``service`` (the facade the app and the CLI call).
"""
