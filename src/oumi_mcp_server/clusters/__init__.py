"""Jobs on clusters through `oumi.launcher`: SkyPilot clouds, Slurm, the HPC clusters Oumi knows.

Entry point: `oumi_mcp_server.clusters.service` (see its docstring). Importing this package stays
light (no oumi, no sky); `follow` registers the status resolver for `backend == "launcher"`.
"""
