"""MCP server over the Oumi platform: recipes, pre-flight, jobs and clusters for an AI assistant."""

__version__ = "0.1.0"
