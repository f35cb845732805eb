"""The experiment loop on top of jobs: compare runs side by side, sweep hyper-parameters."""
