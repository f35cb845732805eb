"""Evaluation functions that run offline, registered with oumi through OUMI_EXTRA_DEPS_FILE."""
