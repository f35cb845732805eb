"""Child process that copies a launcher log stream to stdout: `python -m ... CLOUD CLUSTER JOB N`.

Log streams (SkyPilot's tail, oumi's Slurm tail) block while a job runs. Reading one in a thread
would leave that thread blocked until the job ends; in this process, the parent kills the whole
process group when its time bound hits, and nothing is left behind.
"""

from __future__ import annotations

import sys


def main(argv: list[str]) -> int:
    cloud, cluster_name, job_id, limit = argv[0], argv[1], argv[2], int(argv[3])
    from oumi_mcp_server.clusters import launcher_api

    cluster = launcher_api.cluster(cloud, cluster_name)
    if cluster is None:
        return 1
    stream = cluster.get_logs_stream(cluster_name, job_id)
    written = 0
    out = sys.stdout.buffer
    while written < 64 * limit:
        line = stream.readline()
        if not line:
            break
        data = line.encode("utf-8", "replace") if isinstance(line, str) else line
        out.write(data)
        out.flush()
        written += len(data)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
