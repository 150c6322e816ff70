#!/usr/bin/env bash
# Provision Docker for the end-to-end tests on Debian. Safe to run again: what is there is kept.
#
# 1. installs docker.io and docker-compose (1.29) from Debian when their commands are missing;
# 2. starts dockerd in the background when no daemon answers (log: /var/log/chains-dockerd.log);
# 3. builds the local base image when it is absent: Debian bookworm minbase with python3,
#    python3-venv, python3-pip and ca-certificates, made with debootstrap (installed when
#    missing) and imported, because no image registry can be reached from CI;
# 4. checks that the base image has python3 with venv and ensurepip, which chains-build needs.
#
# Installing and starting dockerd need root; a run where everything is in place does not.
# Settings (environment): CHAINS_BASE_IMAGE (default chains-base:bookworm), DEBIAN_MIRROR
# (default http://deb.debian.org/debian), DOCKERD_WAIT_SEC (default 60).
# Exit status: 0 ready; 1 something could not be provisioned (one line on stderr says what).
set -euo pipefail

BASE_IMAGE="${CHAINS_BASE_IMAGE:-chains-base:bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
WAIT_SEC="${DOCKERD_WAIT_SEC:-60}"
SUITE=bookworm
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
DOCKERD_LOG=/var/log/chains-dockerd.log
DOCKERD_PID=/var/run/docker.pid
DEBOOTSTRAP_LOG=/var/tmp/chains-debootstrap.log

say() { printf 'setup-docker: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() {
  [[ "$(id -u)" == 0 ]] || die "$1 needs root: run $0 as root (e.g. with sudo)"
}

apt_install() {
  need_root "installing $*"
  command -v apt-get >/dev/null 2>&1 \
    || die "apt-get not found: this script provisions Debian; install $* yourself"
  say "installing $*"
  apt-get update -qq || die "apt-get update failed (is the network or the apt proxy reachable?)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
    || die "apt-get install $* failed (see the messages above)"
}

docker_error() {
  # The last line of what `docker info` says, or nothing when the daemon answers.
  local output
  if output="$(docker info 2>&1 >/dev/null)"; then return 0; fi
  printf '%s' "${output##*$'\n'}"
  return 1
}

dockerd_alive() {
  [[ -r "$DOCKERD_PID" ]] && kill -0 "$(cat "$DOCKERD_PID")" 2>/dev/null
}

# --- one run at a time (a second one waits, then finds everything in place) -------------------
lock=/run/lock/chains-setup-docker.lock
if command -v flock >/dev/null 2>&1 && { [[ -w "$lock" ]] || [[ ! -e "$lock" && -w "${lock%/*}" ]]; }
then
  exec 9>"$lock"
  flock -w 1800 9 || die "another setup-docker.sh has been running for 30 minutes"
fi

# --- 1. packages -------------------------------------------------------------------------------
packages=()
command -v docker >/dev/null 2>&1 && command -v dockerd >/dev/null 2>&1 || packages+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || packages+=(docker-compose)
if ((${#packages[@]})); then
  apt_install "${packages[@]}"
fi

# --- 2. the daemon -----------------------------------------------------------------------------
if ! problem="$(docker_error)"; then
  if [[ -n "${DOCKER_HOST:-}" ]]; then
    die "the daemon at DOCKER_HOST=$DOCKER_HOST does not answer ($problem): start it or unset DOCKER_HOST"
  fi
  if [[ "$problem" == *"permission denied"* ]]; then
    die "cannot talk to the Docker daemon ($problem): run $0 as root or join the docker group"
  fi
  if dockerd_alive; then
    say "dockerd (pid $(cat "$DOCKERD_PID")) is running; waiting for it to answer"
  else
    need_root "starting dockerd ($problem)"
    say "starting dockerd (log: $DOCKERD_LOG)"
    # Its own session, so that it outlives this script and the CI step that ran it; without
    # the lock's fd 9, which it would otherwise hold for its lifetime, blocking the next run.
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null 9>&- &
    started=$!
  fi
  for ((second = 0; second < WAIT_SEC; second++)); do
    problem="$(docker_error)" && break
    if [[ -n "${started:-}" ]] && ! kill -0 "$started" 2>/dev/null; then
      say "dockerd exited; the end of its log:"
      tail -n 15 "$DOCKERD_LOG" >&2 || true
      die "dockerd could not start (it needs root, cgroups and iptables; in a container, a privileged one)"
    fi
    sleep 1
  done
  if problem="$(docker_error)"; then :; else
    tail -n 15 "$DOCKERD_LOG" >&2 2>/dev/null || true
    die "the Docker daemon did not answer within $WAIT_SEC s ($problem)"
  fi
fi
say "Docker $(docker version --format '{{.Server.Version}}') answers"

# --- 3. the base image -------------------------------------------------------------------------
if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base image $BASE_IMAGE is present"
else
  need_root "building the base image $BASE_IMAGE with debootstrap"
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  say "building base image $BASE_IMAGE from $MIRROR with debootstrap (a few minutes)"
  rootfs="$(mktemp -d /var/tmp/chains-base.XXXXXX)"
  trap 'rm -rf "$rootfs"' EXIT
  if ! debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
    "$SUITE" "$rootfs" "$MIRROR" >"$DEBOOTSTRAP_LOG" 2>&1; then
    say "the end of $DEBOOTSTRAP_LOG:"
    tail -n 15 "$DEBOOTSTRAP_LOG" >&2
    die "debootstrap of $SUITE from $MIRROR failed (set DEBIAN_MIRROR to a reachable mirror)"
  fi
  # pip in the images verifies PyPI against this machine's CA bundle (it may hold a proxy's CA).
  cp "$CA_BUNDLE" "$rootfs$CA_BUNDLE"
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  # docker import tags the image only once the whole file system is in: no half-built base.
  tar -C "$rootfs" -c . | docker import \
    --change "ENV PIP_CERT=$CA_BUNDLE" \
    --change 'ENV LANG=C.UTF-8' \
    --change 'CMD ["/bin/bash"]' \
    - "$BASE_IMAGE" >/dev/null || die "docker import of the base image failed"
  say "base image $BASE_IMAGE built"
fi

# --- 4. the base image is usable -----------------------------------------------------------------
if ! docker run --rm --network none "$BASE_IMAGE" python3 -c 'import ensurepip, ssl, venv' \
  >/dev/null 2>&1; then
  die "$BASE_IMAGE has no python3 with venv and ensurepip: remove it (docker rmi $BASE_IMAGE) and run $0 again"
fi
say "ready: Docker, docker-compose $(docker-compose version --short 2>/dev/null || echo '?'), $BASE_IMAGE"
