#!/usr/bin/env bash
# Undo setup_slurm.sh STATE_DIR: cancel leftover jobs, stop every daemon it started (by the pids
# it recorded: TERM, then KILL after a grace period), and delete the job user if it created one.
set -uo pipefail

STATE_DIR=${1:?usage: teardown_slurm.sh STATE_DIR}
PIDS=$STATE_DIR/pids
[[ -d $PIDS ]] || exit 0

if [[ -f $STATE_DIR/slurm.conf && -s $PIDS/slurmctld.pid ]]; then
    SLURM_CONF=$STATE_DIR/slurm.conf timeout 10 scancel --full --state=RUNNING,PENDING \
        --user="$(grep -oP '^SLURM_SSH_USER=\K.*' "$STATE_DIR/env" 2>/dev/null || echo oumislurm)" \
        >/dev/null 2>&1 || true
fi

stop_pid() {  # name
    local file=$PIDS/$1.pid pid
    [[ -s $file ]] || return 0
    pid=$(<"$file")
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
    fi
    rm -f "$file"
}

# Jobs' step daemons (slurmstepd) are children of slurmd's tree: slurmd first, then the rest.
stop_pid slurmd
stop_pid slurmctld
stop_pid sshd
stop_pid munged

if [[ -s $STATE_DIR/created_user ]]; then
    user=$(<"$STATE_DIR/created_user")
    # Any process still owned by the job user came from a test job: end it by pid.
    for pid in $(pgrep -u "$user" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    userdel "$user" >/dev/null 2>&1 || true
    rm -f "$STATE_DIR/created_user"
fi
if [[ -s $STATE_DIR/reach_modes ]]; then
    while read -r mode dir; do chmod "$mode" "$dir"; done <"$STATE_DIR/reach_modes"
    rm -f "$STATE_DIR/reach_modes"
fi
if [[ -s $STATE_DIR/ssh_snippet ]]; then
    rm -f "$(<"$STATE_DIR/ssh_snippet")" "$STATE_DIR/ssh_snippet"
fi
exit 0
