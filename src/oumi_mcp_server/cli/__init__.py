"""The command line: serve, init, doctor and terminal views of the same services."""
