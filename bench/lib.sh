# shellcheck shell=bash
# shellcheck disable=SC2034  # the VB_ variables are read by the commands that source this
#
# bench/lib.sh - what the benchmark commands (bench/run, bench/deletes) share:
# their common options, installing the packages, building and installing
# vecindex, and a throwaway cluster.  Source it after test/lib.sh; like that
# file it only defines functions and variables.
#
# A command's option loop hands every option it does not know itself to
# vb_option, which takes the common ones (below) and passes the rest on to
# the Python side in VB_PY_ARGS; then the command calls vb_prepare and
# vb_cluster, and runs its module with vb_python.
#
# Common options:
#   --compare EXT, --dsn DSN, --no-install, --rev REV, --keep,
#   --shared-buffers S, --maintenance-work-mem S, --help-python

VB_KEEP=0 VB_INSTALL=1 VB_DSN="" VB_REV="" VB_COMPARE=""
VB_SHARED_BUFFERS=2GB VB_MWM=2GB
VB_MODULE=""			# the Python module, e.g. vecbench.suite
VB_PY_ARGS=()			# arguments for it
VB_USED=0			# words vb_option consumed
VB_SOURCE_DESC=""		# what was built, for the results
DATADIR="" SOCKDIR="" PORT=""

# vb_usage FILE: prints FILE's header comment, from its third line to the
# first line that is not a comment.
vb_usage() { awk 'NR < 3 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$1"; }

vb_need_arg() { [ $# -ge 2 ] && [ -n "$2" ] || vi_die "$1 needs a value"; }

# vb_option ARGS...: handles $1 (and its value) if it is a common option,
# otherwise appends it to VB_PY_ARGS; sets VB_USED to the words used, so the
# caller can `shift "$VB_USED"`.
vb_option() {
	VB_USED=1
	case $1 in
		--keep) VB_KEEP=1 ;;
		--no-install) VB_INSTALL=0 ;;
		--dsn) vb_need_arg "$@"; VB_DSN=$2; VB_USED=2 ;;
		--rev) vb_need_arg "$@"; VB_REV=$2; VB_USED=2 ;;
		--compare) vb_need_arg "$@"; VB_COMPARE=$2; VB_PY_ARGS+=(--compare "$2"); VB_USED=2 ;;
		--shared-buffers) vb_need_arg "$@"; VB_SHARED_BUFFERS=$2; VB_USED=2 ;;
		--maintenance-work-mem) vb_need_arg "$@"; VB_MWM=$2; VB_USED=2 ;;
		--help-python)
			PYTHONPATH="$VI_ROOT/bench" exec "$VI_PYTHON" -m "$VB_MODULE" --help ;;
		*) VB_PY_ARGS+=("$1") ;;
	esac
}

# vb_cleanup: the EXIT trap: stops the cluster and removes the scratch
# directory, or with --keep says how to reach them.
vb_cleanup() {
	local rc=$?
	set +e
	if [ -n "$DATADIR" ] && [ "$VB_KEEP" = 1 ]; then
		local as=""
		vi_is_root && as="runuser -u $(vi_unpriv_user) -- "
		cat <<EOF

The cluster is still running (--keep).
  connect:  psql "host=$SOCKDIR port=$PORT user=postgres dbname=vecbench"
  log:      $VI_WORK/postgres.log
  stop:     $as$VI_PGBIN/pg_ctl -D $DATADIR stop && rm -rf $VI_WORK
EOF
		exit $rc
	fi
	[ -z "$DATADIR" ] || vi_cluster_stop "$DATADIR"
	[ -z "$VI_WORK" ] || rm -rf "$VI_WORK"
	exit $rc
}

# vb_prepare NAME [PACKAGE...]: installs the base packages and PACKAGEs,
# checks that the --compare extension is installed, makes the scratch
# directory and builds and installs vecindex (unless --no-install).
vb_prepare() {
	local name=$1
	shift
	trap vb_cleanup EXIT
	trap 'exit 130' INT TERM
	vi_step "Packages"
	vi_ensure_packages "${VI_BASE_PACKAGES[@]}" "$@" \
		|| vi_die "could not install the required packages"
	if [ -n "$VB_COMPARE" ] && [ -z "$VB_DSN" ] \
		&& [ ! -f "$("$VI_PG_CONFIG" --sharedir)/extension/$VB_COMPARE.control" ]; then
		vi_die "--compare $VB_COMPARE: extension $VB_COMPARE is not installed in PostgreSQL $VI_PG_MAJOR"
	fi

	vi_make_workdir "$name"
	if [ -n "$VB_REV" ]; then
		VB_SOURCE_DESC="git $(git -C "$VI_ROOT" rev-parse --verify "$VB_REV^{commit}")" \
			|| vi_die "--rev $VB_REV: not a commit"
	else
		VB_SOURCE_DESC="work tree at $(git -C "$VI_ROOT" rev-parse HEAD 2>/dev/null || echo '?')"
		if [ -n "$(git -C "$VI_ROOT" status --porcelain -- src sql Makefile vecindex.control 2>/dev/null)" ]; then
			VB_SOURCE_DESC+=" with uncommitted changes"
		fi
	fi
	if [ "$VB_INSTALL" = 1 ]; then
		vi_step "Build and install ($VB_SOURCE_DESC)"
		if [ -n "$VB_REV" ]; then
			mkdir -p "$VI_WORK/src"
			git -C "$VI_ROOT" archive "$VB_REV" | tar -C "$VI_WORK/src" -xf -
		else
			vi_copy_source "$VI_WORK/src"
		fi
		vi_make "$VI_WORK/src" >"$VI_WORK/build.log" 2>&1 \
			|| { tail -n 60 "$VI_WORK/build.log"; vi_die "make failed"; }
		vi_make_install "$VI_WORK/src" >>"$VI_WORK/build.log" 2>&1 \
			|| { tail -n 30 "$VI_WORK/build.log"; vi_die "make install failed"; }
		vi_log "built and installed in $(vi_step_seconds)s"
	else
		VB_SOURCE_DESC="installed build (--no-install; $VB_SOURCE_DESC)"
	fi
	vi_chown_work
}

# vb_cluster [SETTING...]: unless --dsn was given, starts a cluster with
# shared_buffers and maintenance_work_mem as the options say, jit,
# autovacuum and synchronous_commit off, plus the SETTINGs
# ("name = value"), creates database vecbench and points VB_DSN at it.
vb_cluster() {
	[ -z "$VB_DSN" ] || return 0
	vi_step "Cluster"
	DATADIR=$VI_WORK/data
	SOCKDIR=$VI_WORK/sock
	PORT=$(vi_random_port)
	local -a settings=("shared_buffers = $VB_SHARED_BUFFERS" "maintenance_work_mem = $VB_MWM"
		"max_wal_size = 8GB" "checkpoint_timeout = 30min" "synchronous_commit = off"
		"jit = off" "autovacuum = off" "max_connections = 50" "$@")
	vi_cluster_create "$DATADIR" "$SOCKDIR" "$PORT" "${settings[@]}"
	vi_cluster_start "$DATADIR" "$VI_WORK/postgres.log"
	vi_as_unpriv "$VI_WORK" createdb -h "$SOCKDIR" -p "$PORT" -U postgres vecbench
	VB_DSN="host=$SOCKDIR port=$PORT user=postgres dbname=vecbench"
	vi_log "PostgreSQL $VI_PG_MAJOR running as $(vi_unpriv_user), socket $SOCKDIR port $PORT"
	vi_log "settings: ${settings[*]}"
}

# vb_python: runs VB_MODULE against VB_DSN with VB_PY_ARGS.
vb_python() {
	vi_step "Benchmark"
	PYTHONPATH="$VI_ROOT/bench" PYTHONDONTWRITEBYTECODE=1 MPLCONFIGDIR="$VI_WORK/tmp" \
		"$VI_PYTHON" -m "$VB_MODULE" --dsn "$VB_DSN" --source "$VB_SOURCE_DESC" \
		"${VB_PY_ARGS[@]}"
}
