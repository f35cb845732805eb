"""Local jobs that outlive the server: store, run folders, supervisor, queue, status, logs, cancel.

Public entry point: `oumi_mcp_server.jobs.service` (see its docstring). Importing this package
stays light: no torch, oumi or transformers.
"""
