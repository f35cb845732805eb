"""The MCP surface: tool, resource and prompt definitions. Thin: validate, call a service, shape."""
