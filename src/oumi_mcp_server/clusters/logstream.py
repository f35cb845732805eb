"""Child process that snapshots a launcher log stream into a file, within a time bound.

`python -m oumi_mcp_server.clusters.logstream CLOUD CLUSTER JOB_ID MAX_BYTES OUT TIMEOUT_S`

Log streams (SkyPilot's tail, oumi's Slurm tail) block while a job runs. Reading one in a thread
of the server would leave that thread blocked until the job ends. Here the stream is read in this
process, which ends itself at the time bound (SIGALRM) and writes what it read so far to OUT
(atomically, the last MAX_BYTES); the parent also kills its process group as a last resort.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


class _TimeUp(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise _TimeUp


def main(argv: list[str]) -> int:
    cloud, cluster_name, job_id = argv[0], argv[1], argv[2]
    limit, out, timeout_s = int(argv[3]), Path(argv[4]), float(argv[5])
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    buf = bytearray()
    try:
        from oumi_mcp_server.clusters import launcher_api

        cluster = launcher_api.cluster(cloud, cluster_name)
        if cluster is None:
            return 1
        stream = cluster.get_logs_stream(cluster_name, job_id)
        while True:
            line = stream.readline()
            if not line:
                break
            buf += line.encode("utf-8", "replace") if isinstance(line, str) else line
            if len(buf) > 2 * limit:
                del buf[: len(buf) - limit]
    except _TimeUp:
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if buf:  # nothing read in time: keep the previous snapshot
            tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
            tmp.write_bytes(bytes(buf[-limit:]))
            tmp.replace(out)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # do not wait for stream threads: the snapshot is written
