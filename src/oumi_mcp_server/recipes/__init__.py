"""The Oumi recipe catalog: where recipes come from, their index, search and look-up.

Public API: `oumi_mcp_server.recipes.service` (never imports oumi).
"""
