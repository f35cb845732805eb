"""Datasets before a run: inspect (format, errors with line numbers, token lengths) and prepare
(filter, merge, dedupe, split into a new folder)."""
