"""Offline demo: tiny assets and an assistant-like drive of the server over stdio."""
