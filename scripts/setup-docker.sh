#!/usr/bin/env bash
# Provision a Docker engine for the end-to-end tests, on Debian, as root. Safe to run again.
#
# 1. installs docker.io, docker-compose and debootstrap when they are missing;
# 2. starts dockerd in the background when no daemon answers (log: /var/log/chains-dockerd.log);
# 3. builds the local base image (default name chains-base:bookworm, or $CHAINS_BASE_IMAGE) when
#    it is absent: Debian bookworm minbase with python3, venv and pip, made with debootstrap and
#    imported, because no image registry can be reached from here.
set -euo pipefail

BASE_IMAGE="${CHAINS_BASE_IMAGE:-chains-base:bookworm}"
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

say() { printf 'setup-docker: %s\n' "$*" >&2; }

missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
command -v docker-compose >/dev/null 2>&1 || missing+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! docker info >/dev/null 2>&1; then
  say "starting dockerd"
  nohup dockerd >/var/log/chains-dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && break
    sleep 1
  done
  if ! docker info >/dev/null 2>&1; then
    say "dockerd did not answer within 60 s; its log:"
    tail -n 20 /var/log/chains-dockerd.log >&2 || true
    exit 1
  fi
fi

if docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  say "base image $BASE_IMAGE is present"
  exit 0
fi

say "building base image $BASE_IMAGE with debootstrap (a few minutes)"
rootfs="$(mktemp -d /tmp/chains-base.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$rootfs" >/tmp/chains-debootstrap.log 2>&1 || {
  say "debootstrap failed; the end of its log:"
  tail -n 20 /tmp/chains-debootstrap.log >&2
  exit 1
}
cp "$CA_BUNDLE" "$rootfs$CA_BUNDLE"
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
# pip in containers verifies PyPI against this machine's CA bundle (test set-up only).
tar -C "$rootfs" -c . | docker import \
  --change "ENV PIP_CERT=$CA_BUNDLE" \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/bash"]' \
  - "$BASE_IMAGE" >/dev/null
say "base image $BASE_IMAGE built"
