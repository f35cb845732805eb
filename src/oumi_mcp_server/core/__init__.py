"""Plumbing shared by every capability package; imports nothing heavy."""
