#!/usr/bin/env bash
# A real single-node Slurm cluster on localhost, for the test suite.
#
# Usage: setup_slurm.sh STATE_DIR
# Installs Debian's slurm-wlm, munge, openssh-server and rsync when missing (needs root and apt),
# creates a job user, generates a munge key and an ssh key, and starts, all under STATE_DIR:
#   munged, slurmctld, slurmd (one node = this host, CPUs=2, no slurmdbd) and
#   sshd on 127.0.0.1:<free port> with the generated key authorized for the job user.
# Every daemon's pid goes to STATE_DIR/pids/<name>.pid; STATE_DIR/env holds what tests need
# (SLURM_SSH_HOST/PORT/USER/KEY/ALIAS, SLURM_CONF, SLURM_NODE, SLURM_JOB_HOME), and an ssh
# host alias goes to /etc/ssh/ssh_config.d/. teardown_slurm.sh STATE_DIR undoes all of it.
set -euo pipefail

STATE_DIR=${1:?usage: setup_slurm.sh STATE_DIR}
JOB_USER=${OUMI_SLURM_TEST_USER:-oumislurm}
CTLD_PORT=${OUMI_SLURM_CTLD_PORT:-16817}
SLURMD_PORT=${OUMI_SLURM_SLURMD_PORT:-16818}

die() { echo "setup_slurm: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "needs root (runs sshd, munged, slurmd as root)"

need=()
command -v slurmctld >/dev/null || need+=(slurm-wlm)
command -v munged >/dev/null || need+=(munge)
[[ -x /usr/sbin/sshd ]] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v rsync >/dev/null || need+=(rsync)
if ((${#need[@]})); then
    command -v apt-get >/dev/null || die "missing ${need[*]} and no apt-get to install them"
    echo "setup_slurm: installing ${need[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null; } \
        || die "apt-get install ${need[*]} failed"
fi

mkdir -p "$STATE_DIR"
STATE_DIR=$(cd "$STATE_DIR" && pwd)
chmod 755 "$STATE_DIR"  # sshd and jobs run as the job user: they must reach their files
PIDS=$STATE_DIR/pids
LOGS=$STATE_DIR/logs
mkdir -p "$PIDS" "$LOGS" "$STATE_DIR/munge" "$STATE_DIR/ssh" "$STATE_DIR/spool/ctld" \
    "$STATE_DIR/spool/d" "$STATE_DIR/home"
chmod 700 "$STATE_DIR/munge" "$STATE_DIR/ssh"

# The job user: jobs run as them, and the ssh key logs in as them (never root).
if ! id "$JOB_USER" >/dev/null 2>&1; then
    useradd -m -d "$STATE_DIR/home/$JOB_USER" -s /bin/bash "$JOB_USER"
    echo "$JOB_USER" >"$STATE_DIR/created_user"
fi
usermod -p '*' "$JOB_USER"  # no password, but not locked: sshd refuses locked accounts
JOB_HOME=$(getent passwd "$JOB_USER" | cut -d: -f6)
mkdir -p "$JOB_HOME"
chown "$JOB_USER:" "$JOB_HOME"

# Jobs run as the job user: every folder above OUMI_SLURM_TEST_REACH (colon-separated paths, e.g.
# the interpreter jobs run) gets o+x (traverse only, no listing); teardown restores each mode.
IFS=: read -r -a reach <<<"${OUMI_SLURM_TEST_REACH:-}"
for path in "${reach[@]}"; do
    [[ -e $path ]] || continue
    dir=$(dirname "$(readlink -f "$path")")
    while [[ $dir != / ]]; do
        mode=$(stat -c %a "$dir")
        if (( (8#$mode & 1) == 0 )); then
            echo "$mode $dir" >>"$STATE_DIR/reach_modes"
            chmod o+x "$dir"
        fi
        dir=$(dirname "$dir")
    done
done

# Munge: our own key, socket, pid and log, so nothing of the system's munge is touched.
MUNGE_KEY=$STATE_DIR/munge/munge.key
MUNGE_SOCK=$STATE_DIR/munge/munge.socket
[[ -f $MUNGE_KEY ]] || dd if=/dev/urandom of="$MUNGE_KEY" bs=1 count=1024 status=none
chmod 400 "$MUNGE_KEY"
chmod 755 "$STATE_DIR/munge"  # clients (sbatch as the job user) must reach the socket
munged --force --key-file="$MUNGE_KEY" --socket="$MUNGE_SOCK" \
    --pid-file="$PIDS/munged.pid" --log-file="$LOGS/munged.log" \
    --seed-file="$STATE_DIR/munge/munged.seed" \
    || die "munged did not start: $(tail -3 "$LOGS/munged.log" 2>/dev/null)"

NODE=$(hostname -s)
SLURM_CONF=$STATE_DIR/slurm.conf
cat >"$SLURM_CONF" <<EOF
ClusterName=oumitest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCK
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MinJobAge=3600
KillWait=5
SlurmctldPidFile=$PIDS/slurmctld.pid
SlurmdPidFile=$PIDS/slurmd.pid
SlurmdSpoolDir=$STATE_DIR/spool/d
StateSaveLocation=$STATE_DIR/spool/ctld
SlurmctldLogFile=$LOGS/slurmctld.log
SlurmdLogFile=$LOGS/slurmd.log
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=debug Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
chmod 644 "$SLURM_CONF"

cd /  # daemons must not hold a test folder as their cwd
# -i: ignore state left by an earlier run of this folder.
SLURM_CONF=$SLURM_CONF slurmctld -i -f "$SLURM_CONF" || die "slurmctld did not start: $(tail -5 "$LOGS/slurmctld.log")"
SLURM_CONF=$SLURM_CONF slurmd -f "$SLURM_CONF" -N "$NODE" || die "slurmd did not start: $(tail -5 "$LOGS/slurmd.log")"

# sshd on loopback, our host key, the generated client key authorized for the job user only.
SSH_KEY=$STATE_DIR/ssh/id_ed25519
[[ -f $SSH_KEY ]] || ssh-keygen -q -t ed25519 -N "" -f "$SSH_KEY" -C oumi-slurm-test
[[ -f $STATE_DIR/ssh/host_ed25519 ]] || ssh-keygen -q -t ed25519 -N "" -f "$STATE_DIR/ssh/host_ed25519"
AUTH_KEYS=$STATE_DIR/authorized_keys
cp "$SSH_KEY.pub" "$AUTH_KEYS"
chmod 644 "$AUTH_KEYS"
SSH_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p /run/sshd
cat >"$STATE_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $SSH_PORT
HostKey $STATE_DIR/ssh/host_ed25519
PidFile $PIDS/sshd.pid
AuthorizedKeysFile $AUTH_KEYS
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers $JOB_USER
UsePAM no
StrictModes no
MaxStartups 50:30:100
MaxSessions 50
SetEnv SLURM_CONF=$SLURM_CONF
Subsystem sftp internal-sftp
EOF
/usr/sbin/sshd -f "$STATE_DIR/sshd_config" -E "$LOGS/sshd.log" || die "sshd did not start: $(tail -5 "$LOGS/sshd.log")"

for _ in $(seq 1 50); do
    [[ -s $PIDS/sshd.pid && -s $PIDS/slurmctld.pid && -s $PIDS/slurmd.pid ]] && break
    sleep 0.2
done

SSH=(ssh -i "$SSH_KEY" -p "$SSH_PORT" -o BatchMode=yes -o StrictHostKeyChecking=no
     -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$JOB_USER@127.0.0.1")
ok=""
for _ in $(seq 1 60); do
    if "${SSH[@]}" sinfo -h -o %T 2>/dev/null | grep -qE '^idle'; then ok=1; break; fi
    sleep 0.5
done
[[ -n $ok ]] || die "node never became idle: $("${SSH[@]}" sinfo 2>&1 | tail -3); $(tail -5 "$LOGS/slurmd.log")"

# ssh reads ~/.ssh/config from the passwd home, not $HOME: a system-wide snippet gives the
# cluster a host alias (port, key) that every process of the suite resolves, whatever its HOME.
ALIAS=${OUMI_SLURM_HOST_ALIAS:-oumi-slurm-test}
SSH_SNIPPET=/etc/ssh/ssh_config.d/$ALIAS.conf
mkdir -p /etc/ssh/ssh_config.d
cat >"$SSH_SNIPPET" <<EOF
Host $ALIAS
  HostName 127.0.0.1
  Port $SSH_PORT
  User $JOB_USER
  IdentityFile $SSH_KEY
  IdentitiesOnly yes
  BatchMode yes
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
EOF
echo "$SSH_SNIPPET" >"$STATE_DIR/ssh_snippet"

cat >"$STATE_DIR/env" <<EOF
SLURM_SSH_HOST=127.0.0.1
SLURM_SSH_PORT=$SSH_PORT
SLURM_SSH_USER=$JOB_USER
SLURM_SSH_KEY=$SSH_KEY
SLURM_CONF=$SLURM_CONF
SLURM_NODE=$NODE
SLURM_JOB_HOME=$JOB_HOME
SLURM_SSH_ALIAS=$ALIAS
EOF
echo "setup_slurm: ready ($JOB_USER@127.0.0.1:$SSH_PORT, node $NODE)" >&2
