"""An import-free index of the installed oumi: config classes, registries, CLI and API docs.

Built by reading oumi's source with `ast` (never importing oumi, torch or transformers), cached
on disk per oumi version. Public API: `oumi_index.cache` (schema and API indexes) and
`oumi_index.service` (get_docs, list_modules).
"""
