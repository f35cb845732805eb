"""Task guides for the assistant: markdown files shipped as package data, read on demand."""
