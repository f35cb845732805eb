"""Validation and pre-flight checks of Oumi configs: each check returns findings with fixes."""
