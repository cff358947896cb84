#!/usr/bin/env bash
# Builds the real deploy/docker/Dockerfile with podman and checks the image, on a machine with
# no Docker engine, no registry and no way to download a toolchain:
#   1. base images made from Debian's packages with mmdebstrap (`podman import`): a build base
#      holding this machine's own Rust toolchain (rust-toolchain.toml's version) and a runtime
#      base standing in for distroless/cc (glibc, libgcc, CA certificates, tzdata);
#   2. `podman build` of the Dockerfile with those bases as RUST_IMAGE and RUNTIME_IMAGE (the
#      Dockerfile's own defaults stay pinned; a real pipeline uses them);
#   3. the image's filesystem exported (no container is run: crun can't set rlimits or cgroups
#      here) and its binary run with `chroot --userspec=65532:65532`: it runs as the non-root
#      user and can't write to the image, `folio migrate` and `folio check` pass against
#      PostgreSQL, `folio serve` answers /readyz; CA certificates are present; the size printed.
# The exported binary is what deploy/local/e2e.sh then drives (E2E_BUILD=0 STACK_BIN=…), so the
# end-to-end test runs the very file the image ships.
#
#   deploy/docker/check-image.sh              build and check; rootfs in target/image-rootfs
#   IMAGE_KEEP=1 deploy/docker/check-image.sh keep the image and the bases in podman's storage
#   IMAGE=localhost/folio:x deploy/docker/check-image.sh   check an image built before
#
# Needs root (chroot, podman's storage), podman, mmdebstrap, a reachable Debian mirror and
# crates.io, and PostgreSQL on 127.0.0.1:5432 (user postgres, trust).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)

toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
triple=x86_64-unknown-linux-gnu
build_base="localhost/folio-build-base:$toolchain"
runtime_base="localhost/folio-runtime-base:bookworm"
image="${IMAGE:-localhost/folio:check}"
build=1
if [ -n "${IMAGE:-}" ]; then build=0; fi
rootfs="$root/target/image-rootfs"
pg_url="${IMAGE_CHECK_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432}"
db="folio_image_check"
port="${IMAGE_CHECK_PORT:-47500}"
work=$(mktemp -d)
serve_pid=""

say() { printf '\n--> %s\n' "$*"; }
fail() { printf '\nIMAGE CHECK FAILED: %s\n' "$*" >&2; exit 1; }
cleanup() {
  if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
  if [ "$build" = 1 ] && [ "${IMAGE_KEEP:-0}" != 1 ]; then
    # The build's layers and bases take gigabytes: a CI disk is not the place to keep them.
    podman rmi -f "$image" "$build_base" "$runtime_base" >/dev/null 2>&1 || true
    podman image prune -f >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

for tool in podman mmdebstrap; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq podman mmdebstrap >/dev/null; }
done
podman --version
mmdebstrap --version

build_image() {
  # --- 1. bases ----------------------------------------------------------------------------------
  # The toolchain directory itself (rustup may keep it behind a symlink).
  host_toolchain=$(readlink -f "${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$toolchain-$triple")
  [ -x "$host_toolchain/bin/cargo" ] || fail "no local Rust toolchain $toolchain to put in the build base"

  say "build base $build_base: Debian 12 (gcc, libc6-dev), this machine's Rust $toolchain"
  # The machine's extra CA certificates (an egress proxy's) go in too, so that cargo in the build
  # can reach crates.io the way it does here; they stay out of the runtime image.
  # shellcheck disable=SC2016 # the hooks' $1 is mmdebstrap's chroot path, expanded by mmdebstrap
  mmdebstrap --quiet --variant=apt --include=gcc,libc6-dev,ca-certificates --skip=output/dev \
    --customize-hook='mkdir -p "$1/usr/local/rustup/toolchains" "$1/usr/local/cargo/bin"' \
    --customize-hook="cp -a '$host_toolchain' \"\$1/usr/local/rustup/toolchains/$toolchain-$triple\"" \
    --customize-hook="rm -rf \"\$1/usr/local/rustup/toolchains/$toolchain-$triple/share\"" \
    --customize-hook="cp '$(command -v rustup)' \"\$1/usr/local/cargo/bin/rustup\"" \
    --customize-hook='for t in cargo rustc rustdoc; do ln -s rustup "$1/usr/local/cargo/bin/$t"; done' \
    --customize-hook='cp /usr/local/share/ca-certificates/*.crt "$1/usr/local/share/ca-certificates/" 2>/dev/null || true' \
    --customize-hook='chroot "$1" update-ca-certificates >/dev/null' \
    bookworm - \
    | podman import --quiet \
        --change 'ENV PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV RUSTUP_HOME=/usr/local/rustup' --change 'ENV CARGO_HOME=/usr/local/cargo' \
        - "$build_base" >/dev/null

  say "runtime base $runtime_base: Debian 12 essentials, libgcc, CA certificates, tzdata (for distroless/cc)"
  mmdebstrap --quiet --variant=essential --include=ca-certificates,tzdata,libgcc-s1 --skip=output/dev \
    bookworm - | podman import --quiet - "$runtime_base" >/dev/null

  # --- 2. the Dockerfile -------------------------------------------------------------------------
  say "podman build -f deploy/docker/Dockerfile (RUST_IMAGE=$build_base, RUNTIME_IMAGE=$runtime_base)"
  # chroot isolation: RUN steps need no OCI runtime; host network: crates.io through this
  # machine's egress.
  podman build --isolation=chroot --network=host \
    --build-arg RUST_IMAGE="$build_base" --build-arg RUNTIME_IMAGE="$runtime_base" \
    --build-arg SOURCE_COMMIT="$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
    --build-arg SOURCE_DATE_EPOCH="$(git log -1 --format=%ct 2>/dev/null || echo 0)" \
    -f deploy/docker/Dockerfile -t "$image" . \
    || fail "podman build"
}
if [ "$build" = 1 ]; then build_image; fi

# --- 3. the image ------------------------------------------------------------------------------
say "image configuration"
user=$(podman image inspect --format '{{.Config.User}}' "$image")
entrypoint=$(podman image inspect --format '{{json .Config.Entrypoint}} {{json .Config.Cmd}}' "$image")
size=$(podman image inspect --format '{{.Size}}' "$image")
echo "user $user; entrypoint $entrypoint"
[ "$user" = "65532:65532" ] || fail "the image runs as '$user', not 65532:65532"

say "export the image's filesystem to $rootfs"
rm -rf "$rootfs" && mkdir -p "$rootfs"
container=$(podman create "$image")
podman export "$container" | tar -x -C "$rootfs"
podman rm "$container" >/dev/null
bin="$rootfs/usr/local/bin/folio"
[ -x "$bin" ] || fail "no /usr/local/bin/folio in the image"
[ -s "$rootfs/etc/ssl/certs/ca-certificates.crt" ] || fail "no CA certificates in the image"
echo "CA certificates: $(grep -c 'BEGIN CERTIFICATE' "$rootfs/etc/ssl/certs/ca-certificates.crt") in /etc/ssl/certs/ca-certificates.crt"
# The RDS authorities that sslmode=verify-full checks the database against (the task's URL
# names this file): present, readable by everyone, every certificate parses.
rds_ca="$rootfs/etc/ssl/certs/rds-ca-bundle.pem"
[ -s "$rds_ca" ] || fail "no RDS CA bundle at /etc/ssl/certs/rds-ca-bundle.pem"
[ "$(stat -c %a "$rds_ca")" = 444 ] || fail "the RDS CA bundle is mode $(stat -c %a "$rds_ca"), not 444"
rds_parsed=$(openssl storeutl -noout -certs "$rds_ca" 2>/dev/null | grep -c '^[0-9]*: Certificate$' || true)
if [ "$rds_parsed" -eq 0 ] || [ "$rds_parsed" -ne "$(grep -c 'BEGIN CERTIFICATE' "$rds_ca")" ]; then
  fail "the RDS CA bundle does not parse ($rds_parsed certificates read)"
fi
echo "RDS CA bundle: $rds_parsed certificates in /etc/ssl/certs/rds-ca-bundle.pem"

# The binary as the image runs it: its user, its filesystem, the container's environment. The
# tools (env, chroot) are this machine's: distroless has none.
run_as_image=("$(command -v chroot)" --userspec=65532:65532 "$rootfs" /usr/local/bin/folio)
in_image() {
  env -i "${folio_env[@]}" "${run_as_image[@]}" "$@"
}
secret=$(head -c 48 /dev/urandom | base64 -w0)
folio_env=(
  FOLIO_LISTEN="127.0.0.1:$port" FOLIO_LOG_FORMAT=json FOLIO_LOG=info
  FOLIO_DATABASE_URL="$pg_url/$db" FOLIO_SECRET_KEY="$secret"
  FOLIO_EMAIL_URL="file:///tmp/mail" FOLIO_STORAGE_URL="file:///tmp/media"
  FOLIO_BASE_URL="http://127.0.0.1:$port" FOLIO_WORKER=off
)
PGOPTIONS="-c client_min_messages=warning" psql "$pg_url/postgres" -qc "drop database if exists $db" -c "create database $db" >/dev/null

say "the binary belongs to root and is not writable by others (the process runs as 65532)"
owner=$(stat -c '%u:%g %a' "$bin")
echo "/usr/local/bin/folio: $owner"
[ "$owner" = "0:0 755" ] || fail "the binary is $owner, not 0:0 755"

say "folio migrate, folio check (PostgreSQL)"
in_image migrate 2>"$work/migrate.log" || { cat "$work/migrate.log"; fail "folio migrate"; }
in_image check | tee "$work/check.out" || fail "folio check"
grep -q "database: reachable, 0 pending migration(s)" "$work/check.out" || fail "folio check: database"

say "folio serve answers /readyz"
# Started directly (env execs chroot, which execs folio), so $! is folio's own pid.
env -i "${folio_env[@]}" "${run_as_image[@]}" serve 2>"$work/serve.log" &
serve_pid=$!
ready=""
for _ in $(seq 1 100); do
  if ready=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null); then break; fi
  kill -0 "$serve_pid" 2>/dev/null || { cat "$work/serve.log"; fail "folio serve exited"; }
  sleep 0.2
done
[ -n "$ready" ] || { cat "$work/serve.log"; fail "/readyz did not answer"; }
echo "/readyz: $ready"
uid=$(awk '/^Uid:/ {print $2}' "/proc/$serve_pid/status")
echo "folio serve runs as uid $uid"
[ "$uid" = 65532 ] || fail "folio serve runs as uid $uid, not 65532"
kill -TERM "$serve_pid"
wait "$serve_pid" || fail "folio serve did not exit 0 on SIGTERM"
serve_pid=""
psql "$pg_url/postgres" -qc "drop database if exists $db" >/dev/null

say "image"
printf 'IMAGE OK: %s, %s MB (binary %s MB; runtime base: local Debian stand-in for distroless/cc)\n' \
  "$image" "$((size / 1000000))" "$(( $(stat -c %s "$bin") / 1000000 ))"
