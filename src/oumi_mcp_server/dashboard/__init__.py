"""Local web dashboard over the jobs service: jobs table, loss curves, log tails (read-only)."""
