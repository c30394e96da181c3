"""The workflow's files: Parquet tables and their schemas (:mod:`.artefacts`), checked
atomic safetensors files (:mod:`.safefiles`), stored predictions (:mod:`.predictions`) and
the user cache (:mod:`.cache`).
"""
