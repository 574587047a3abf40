# shellcheck shell=bash
#
# test/lib.sh - shared by test/run and bench/demo (source it, don't run it).
#
#   - installs missing Debian packages (apt-get, only what dpkg says is missing)
#   - copies the source tree to a scratch dir, builds and installs it
#   - runs commands as an unprivileged user (Postgres refuses to run as root:
#     as root that is the `postgres` system user, otherwise the current user)
#   - creates, starts and stops throwaway clusters on a private socket dir
#
# Everything here is a function or a constant; sourcing has no side effects.
# Callers use `set -euo pipefail`.  Functions whose failure a caller may want
# to tolerate (vi_ensure_packages) return non-zero instead of exiting.

# The major version of Debian's packaged server, unless test/pg-version says
# which one it built from source.
VI_PG_MAJOR=${VI_PG_MAJOR:-15}
# VI_PGBIN may name another (relocated) copy of the installation, so that
# runs from two checkouts do not install into the same server directories,
# or a from-source installation with the same layout (test/pg-version).
VI_PGBIN=${VI_PGBIN:-/usr/lib/postgresql/$VI_PG_MAJOR/bin}
VI_PG_CONFIG=$VI_PGBIN/pg_config
VI_PGXS_DIR=${VI_PGBIN%/bin}/lib/pgxs
VI_PG_REGRESS=$VI_PGXS_DIR/src/test/regress/pg_regress
VI_PERL_TESTLIB=$VI_PGXS_DIR/src/test/perl
# The apt-installed interpreter: python3-numpy and python3-psycopg live there,
# whatever python3 a pyenv/venv on PATH may point at.
VI_PYTHON=/usr/bin/python3
VI_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Packages every entry point needs (Debian 12 names); a server built from
# source (VI_PG_SOURCE, set by test/pg-version) brings its own server and
# headers.
VI_BASE_PACKAGES=(libipc-run-perl perl build-essential gcc make python3 python3-numpy
	python3-psycopg)
[ -n "${VI_PG_SOURCE:-}" ] \
	|| VI_BASE_PACKAGES+=(postgresql-$VI_PG_MAJOR postgresql-server-dev-$VI_PG_MAJOR)
# test/fuzz/run: clang with libFuzzer and the sanitizer runtimes.
VI_FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev)
# test/valgrind-regress: valgrind, and unpacking PostgreSQL's source.
VI_VALGRIND_PACKAGES=(valgrind bzip2 xz-utils)

VI_WORK=""			# scratch dir, set by vi_make_workdir
VI_APT_UPDATED=0

# ---------------------------------------------------------------- messages

vi_log() { printf '%s\n' "$*"; }
vi_warn() { printf 'WARNING: %s\n' "$*" >&2; }
vi_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

VI_STEP_T0=""
# vi_step TITLE: prints a section header and remembers when the step started.
vi_step() {
	VI_STEP_T0=$(date +%s.%N)
	printf '\n=== %s\n' "$*"
}
# vi_step_seconds: seconds since the last vi_step, e.g. "12.3".
vi_step_seconds() {
	awk -v a="$VI_STEP_T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

# ---------------------------------------------------------------- privileges

vi_is_root() { [ "$(id -u)" -eq 0 ]; }

# vi_as_root CMD...: runs CMD as root (directly, or through sudo).
vi_as_root() {
	if vi_is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		if [ -t 0 ]; then sudo -- "$@"; else sudo -n -- "$@"; fi
	else
		vi_die "root is needed for: $* (run as root, or install sudo)"
	fi
}

# vi_unpriv_user: the account that runs servers and tests.
vi_unpriv_user() {
	if vi_is_root; then
		id -u postgres >/dev/null 2>&1 \
			|| vi_die "no 'postgres' system user (it comes with the postgresql-common package)"
		echo postgres
	else
		id -un
	fi
}

# vi_as_unpriv DIR [VAR=value...] CMD...: runs CMD as the unprivileged user in
# directory DIR with a clean, predictable environment (no PG* variables from
# the caller, the PostgreSQL $VI_PG_MAJOR binaries first on PATH, C.UTF-8).
vi_as_unpriv() {
	local dir=$1
	shift
	local home=/tmp tmp=/tmp
	[ -z "$VI_WORK" ] || { home=$VI_WORK; tmp=$VI_WORK/tmp; }
	local -a envv=(
		PATH="$VI_PGBIN:/usr/local/bin:/usr/bin:/bin"
		HOME="$home" TMPDIR="$tmp" LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1
	)
	if [ -n "${CI:-}" ]; then envv+=(CI="$CI"); fi
	if vi_is_root; then
		(cd "$dir" && runuser -u "$(vi_unpriv_user)" -- env -i "${envv[@]}" "$@")
	else
		(cd "$dir" && env -i "${envv[@]}" "$@")
	fi
}

# ---------------------------------------------------------------- packages

vi_pkg_installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

# vi_ensure_packages PKG...: installs those of PKG that are not installed.
# `apt-get update` runs once per process, and only if something is missing.
# Returns non-zero (does not exit) when installation fails.
vi_ensure_packages() {
	local p
	local -a missing=()
	command -v dpkg-query >/dev/null 2>&1 || { vi_warn "dpkg-query not found: not a Debian system?"; return 1; }
	for p in "$@"; do
		vi_pkg_installed "$p" || missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		vi_log "packages: all installed ($*)"
		return 0
	fi
	vi_log "packages: installing ${missing[*]}"
	if [ "$VI_APT_UPDATED" = 0 ]; then
		vi_as_root apt-get update -q || return 1
		VI_APT_UPDATED=1
	fi
	# another apt-get (unattended-upgrades, a second test run) may hold the
	# dpkg lock for a while: wait for it rather than fail
	vi_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		-o DPkg::Lock::Timeout=600 \
		--no-install-recommends "${missing[@]}" || return 1
	return 0
}

# ---------------------------------------------------------------- scratch dir

# vi_make_workdir NAME: creates $VI_WORK, a fresh scratch directory (with a
# tmp/ subdirectory used as TMPDIR), and owned by the unprivileged user once
# vi_chown_work has run.  Short path: socket paths are limited to 107 bytes.
vi_make_workdir() {
	local base=/tmp
	vi_is_root || base=${TMPDIR:-/tmp}
	VI_WORK=$(mktemp -d "$base/vecindex-$1.XXXXXX")
	mkdir -p "$VI_WORK/tmp"
}

# vi_chown_work: gives $VI_WORK to the unprivileged user.
vi_chown_work() {
	if vi_is_root; then
		chown -R "$(vi_unpriv_user):" "$VI_WORK"
	fi
}

# vi_copy_source DEST: copies the working tree (including uncommitted and
# untracked files, excluding .git and build/test artifacts) to DEST.
vi_copy_source() {
	local dest=$1
	mkdir -p "$dest"
	tar -C "$VI_ROOT" \
		--exclude=./.git --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
		--exclude='*.d' --exclude=__pycache__ --exclude=./results --exclude=./log \
		--exclude=./tmp_check --exclude=./test/tmp_check \
		--exclude=./regression.diffs --exclude=./regression.out \
		--exclude=./test/unit/test_distance --exclude='./test/unit/fuzz_*' \
		--exclude=./test/fuzz/work --exclude=./test/fuzz/fuzz_vector_text \
		--exclude=./test/fuzz/fuzz_vector_binary \
		--exclude=./bench/results --exclude=./bench/cache \
		-cf - . | tar -C "$dest" -xf -
}

# ---------------------------------------------------------------- build

# vi_make DIR [ARGS...]: make in DIR against PostgreSQL $VI_PG_MAJOR.
vi_make() {
	local dir=$1
	shift
	make -C "$dir" --no-print-directory -j"$(nproc 2>/dev/null || echo 2)" \
		PG_CONFIG="$VI_PG_CONFIG" "$@"
}

# vi_make_install DIR: installs the extension built in DIR (as root).
vi_make_install() {
	vi_as_root make -C "$1" --no-print-directory PG_CONFIG="$VI_PG_CONFIG" install
}

# vi_make_var DIR VAR: prints the value of a Makefile variable, as make sees it
# (so the Makefile stays the one source of truth, e.g. for REGRESS).
vi_make_var() {
	make -C "$1" --no-print-directory -s PG_CONFIG="$VI_PG_CONFIG" \
		-f Makefile -f <(printf 'vi-print-var-%%:\n\t@echo $(%s)\n' '$*') \
		"vi-print-var-$2"
}

# ---------------------------------------------------------------- clusters

# vi_cluster_create DATADIR SOCKDIR PORT [SETTING...]: initdb (trust auth,
# superuser "postgres") and a config that listens only on a Unix socket in
# SOCKDIR.  Extra SETTINGs are postgresql.conf lines ("name = value").
vi_cluster_create() {
	local datadir=$1 sockdir=$2 port=$3
	shift 3
	vi_as_unpriv "$VI_WORK" initdb -D "$datadir" -A trust -U postgres -E UTF8 \
		--locale=C.UTF-8 >"$VI_WORK/initdb.log" 2>&1 \
		|| { cat "$VI_WORK/initdb.log" >&2; vi_die "initdb failed"; }
	vi_as_unpriv "$VI_WORK" mkdir -p "$sockdir"
	{
		echo "# vecindex throwaway cluster"
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$sockdir'"
		echo "port = $port"
		echo "fsync = off"
		local s
		for s in "$@"; do echo "$s"; done
	} | vi_as_unpriv "$VI_WORK" tee -a "$datadir/postgresql.conf" >/dev/null
}

# vi_cluster_start DATADIR LOGFILE
vi_cluster_start() {
	vi_as_unpriv "$VI_WORK" pg_ctl -D "$1" -l "$2" -w -t 120 start >/dev/null \
		|| { tail -n 50 "$2" >&2 || true; vi_die "could not start the cluster in $1"; }
}

# vi_cluster_stop DATADIR: fast shutdown, if running.  Never fails.
vi_cluster_stop() {
	[ -f "$1/postmaster.pid" ] || return 0
	vi_as_unpriv "$VI_WORK" pg_ctl -D "$1" -m fast -w -t 60 stop >/dev/null 2>&1 \
		|| vi_as_unpriv "$VI_WORK" pg_ctl -D "$1" -m immediate -w stop >/dev/null 2>&1 \
		|| true
}

# vi_random_port: a port number for a socket-only cluster (the socket lives in
# a private directory, so it cannot collide with another server).
vi_random_port() {
	echo $((20000 + RANDOM % 10000))
}
