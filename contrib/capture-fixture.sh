#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# capture-fixture.sh: copy the kernel state oomguardian reads into a fixture tree, so that
# `oomguardianctl snapshot --root DIR` and the unit tests see this machine as it was.
#
#   contrib/capture-fixture.sh [OPTIONS] OUTDIR
#
# Only reads. Every file is read once with a size bound; unreadable, vanished or oversized
# files are skipped (counted in OUTDIR/README), never fatal. Symlinks that the readers look at
# (/proc/PID/exe, /sys/kernel/slab/<alias>) are recorded as symlinks with the same target.
# The captured tree:
#   proc/{meminfo,vmstat,swaps,buddyinfo,zoneinfo,slabinfo,cgroups,stat,version,uptime,loadavg}
#   proc/pressure/*, proc/sys/vm/<a few knobs>, proc/self/{mountinfo,mounts}
#   proc/PID/{stat,status,cmdline,comm,statm,cgroup,oom_score,oom_score_adj,smaps_rollup}
#     and proc/PID/exe (symlink), for a bounded set of processes
#   sys/devices/system/node/{online,possible,has_*} and node*/{meminfo,numastat,cpulist,distance}
#   sys/kernel/slab/<cache>/{reclaim_account,object_size,slab_size,...}
#   sys/block/zram*/{mm_stat,disksize}
#   sys/fs/cgroup/...: memory.*, cgroup.* and *.pressure files of the selected cgroups, on the
#     cgroup2 mount and the v1 memory mount (files that are write-only, like cgroup.kill or
#     memory.reclaim, become empty placeholders so their presence is recorded)
# mountinfo is cut down to the mounts the guardian needs (/, proc, sysfs, cgroupfs), so a
# fixture does not carry unrelated details of the host it came from.

set -u
shopt -s nullglob

usage()
{
	cat <<'EOF'
Usage: capture-fixture.sh [OPTIONS] OUTDIR

  -p, --pids N         capture at most N processes (default 30; 0 = none). Without --pid:
                       kernel threads (see --kthreads), then user processes by RSS, largest
                       first; the capturing shell itself is left out
      --pid PID        capture this process (repeatable); then only the listed ones (and
                       --kthreads) are taken
      --kthreads N     kernel threads to include, pid 2 first (default 2)
      --cgroups MODE   procs: the cgroups of the captured processes and their ancestors
                       (default); tree: every cgroup down to --cgroup-depth
      --cgroup-depth N deepest cgroup level captured below each hierarchy root
                       (default 2 for tree, 8 for procs)
      --all-controllers  also capture the v1 hierarchies other than memory
      --slabs N        sys/kernel/slab for the N largest caches of /proc/slabinfo only
                       (default: every cache listed there)
      --source DIR     read from DIR instead of / (e.g. to re-capture a fixture)
      --force          write into an existing non-empty OUTDIR
  -h, --help           this text
EOF
}

NPIDS=30
PIDS=()
NKTHREADS=2
CG_MODE=procs
CG_DEPTH=
ALL_CTRL=0
NSLABS=
SRC=
FORCE=0
OUT=

while [ $# -gt 0 ]; do
	case "$1" in
	-p | --pids) NPIDS=${2:?}; shift ;;
	--pids=*) NPIDS=${1#*=} ;;
	--pid) PIDS+=("${2:?}"); shift ;;
	--pid=*) PIDS+=("${1#*=}") ;;
	--kthreads) NKTHREADS=${2:?}; shift ;;
	--cgroups) CG_MODE=${2:?}; shift ;;
	--cgroups=*) CG_MODE=${1#*=} ;;
	--cgroup-depth) CG_DEPTH=${2:?}; shift ;;
	--all-controllers) ALL_CTRL=1 ;;
	--slabs) NSLABS=${2:?}; shift ;;
	--source) SRC=${2:?}; shift ;;
	--source=*) SRC=${1#*=} ;;
	--force) FORCE=1 ;;
	-h | --help) usage; exit 0 ;;
	-*) echo "capture-fixture: unknown option '$1'" >&2; usage >&2; exit 2 ;;
	*) [ -z "$OUT" ] || { echo "capture-fixture: more than one OUTDIR" >&2; exit 2; }
	   OUT=$1 ;;
	esac
	shift
done

die() { echo "capture-fixture: $*" >&2; exit 1; }
is_uint() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }

[ -n "$OUT" ] || { usage >&2; exit 2; }
[ -n "$CG_DEPTH" ] || { [ "$CG_MODE" = tree ] && CG_DEPTH=2 || CG_DEPTH=8; }
for n in "$NPIDS" "$NKTHREADS" "$CG_DEPTH" ${NSLABS:+"$NSLABS"} ${PIDS[@]+"${PIDS[@]}"}; do
	is_uint "$n" || die "expected a number, got '$n'"
done
case "$CG_MODE" in procs | tree) ;; *) die "--cgroups: expected procs or tree, got '$CG_MODE'" ;; esac
SRC=${SRC%/}
[ -d "$SRC/proc" ] || die "'$SRC/proc' is not a directory"
if [ -e "$OUT" ] && [ -n "$(ls -A "$OUT" 2>/dev/null)" ] && [ "$FORCE" = 0 ]; then
	die "'$OUT' exists and is not empty (use --force)"
fi
mkdir -p "$OUT" || die "cannot create '$OUT'"
OUT=$(cd "$OUT" && pwd) || exit 1

MAX_PROC=$((4 * 1024 * 1024)) # zoneinfo/slabinfo on a large NUMA host stay below this
MAX_SMALL=$((64 * 1024))      # per-process and cgroup files
COPIED=0
SKIPPED=0
SKIPLOG=$(mktemp) || exit 1
trap 'rm -f "$SKIPLOG"' EXIT

skip() { SKIPPED=$((SKIPPED + 1)); echo "$1: $2" >>"$SKIPLOG"; }

# copy SRCPATH RELDST [MAX]: one bounded read; skipped (and counted) when it fails.
copy()
{
	local src=$1 dst=$OUT/$2 max=${3:-$MAX_SMALL} size

	if [ ! -e "$src" ]; then
		return 1 # absent is not worth a note: kernels differ
	fi
	mkdir -p "${dst%/*}" || return 1
	if ! head -c "$((max + 1))" -- "$src" >"$dst.tmp" 2>/dev/null; then
		rm -f "$dst.tmp"
		skip "${src#"$SRC"}" "unreadable"
		return 1
	fi
	size=$(stat -c %s "$dst.tmp")
	if [ "$size" -gt "$max" ]; then
		rm -f "$dst.tmp"
		skip "${src#"$SRC"}" "larger than $max bytes"
		return 1
	fi
	mv -f "$dst.tmp" "$dst"
	COPIED=$((COPIED + 1))
}

# link SRCPATH RELDST: record a symlink with the same target.
link()
{
	local target

	target=$(readlink -- "$1" 2>/dev/null) || { skip "${1#"$SRC"}" "unreadable link"; return 1; }
	mkdir -p "$OUT/${2%/*}" && ln -sfn -- "$target" "$OUT/$2" && COPIED=$((COPIED + 1))
}

# ------------------------------------------------------------------------- system-wide proc
for f in meminfo vmstat swaps buddyinfo zoneinfo slabinfo cgroups stat version uptime loadavg; do
	copy "$SRC/proc/$f" "proc/$f" "$MAX_PROC"
done
for f in "$SRC"/proc/pressure/*; do
	copy "$f" "proc/pressure/${f##*/}"
done
for f in overcommit_memory overcommit_ratio min_free_kbytes watermark_scale_factor \
	watermark_boost_factor swappiness panic_on_oom oom_kill_allocating_task oom_dump_tasks \
	vfs_cache_pressure; do
	copy "$SRC/proc/sys/vm/$f" "proc/sys/vm/$f"
done
for f in pid_max osrelease; do
	copy "$SRC/proc/sys/kernel/$f" "proc/sys/kernel/$f"
done

# Mounts the guardian cares about: /, proc, sysfs, cgroup hierarchies and the tmpfs holding
# them (optional fields between the 6th field and " - " are kept as they are).
filter_mounts()
{
	awk '{
		for (i = 7; i <= NF && $i != "-"; i++)
			;
		type = $(i + 1)
		if ($5 == "/" || type == "proc" || type == "sysfs" || type == "cgroup" ||
		    type == "cgroup2" || $5 == "/sys/fs/cgroup")
			print
	}'
}
SELF=$SRC/proc/self
[ -n "$SRC" ] || SELF=/proc/$BASHPID
if [ -r "$SELF/mountinfo" ]; then
	mkdir -p "$OUT/proc/self"
	filter_mounts <"$SELF/mountinfo" >"$OUT/proc/self/mountinfo" && COPIED=$((COPIED + 1))
	if [ -r "$SELF/mounts" ]; then
		awk '$3 == "proc" || $3 == "sysfs" || $3 == "cgroup" || $3 == "cgroup2" ||
		     $2 == "/" || $2 == "/sys/fs/cgroup"' <"$SELF/mounts" >"$OUT/proc/self/mounts" &&
			COPIED=$((COPIED + 1))
		ln -sfn self/mounts "$OUT/proc/mounts"
	fi
fi

# ------------------------------------------------------------------------- processes
# stat_field PID N: field N (4 = ppid, 5 = pgrp) of /proc/PID/stat.
stat_field()
{
	local stat n=$2

	stat=$(cat -- "$SRC/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) } # after the last ')': comm may hold anything
	set -- $stat
	shift $((n - 3))
	echo "$1"
}
ppid_of() { stat_field "$1" 4; }

is_kthread()
{
	local pp

	[ "$1" = 2 ] && return 0
	pp=$(ppid_of "$1") || return 1
	[ "$pp" = 2 ]
}

rss_kib()
{
	awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' \
		"$SRC/proc/$1/status" 2>/dev/null
}

# Every pid of the source, in numeric order.
all_pids()
{
	local p

	for p in "$SRC"/proc/[0-9]*; do
		echo "${p##*/}"
	done | sort -n
}

select_pids()
{
	local p kt=()

	while read -r p; do
		[ "${#kt[@]}" -lt "$NKTHREADS" ] || break
		is_kthread "$p" && kt+=("$p")
	done < <(all_pids)
	if [ "${#PIDS[@]}" -gt 0 ]; then
		printf '%s\n' ${kt[@]+"${kt[@]}"} "${PIDS[@]}" | head -n "$NPIDS"
		return
	fi
	{
		printf '%s\n' ${kt[@]+"${kt[@]}"}
		all_pids | while read -r p; do
			# The capture itself (this script, its subshells and the tools it runs, all
			# in its process group) is not part of the host.
			[ -z "$SRC" ] && [ "$(stat_field "$p" 5)" = "$MYPGRP" ] && continue
			is_kthread "$p" && continue
			rss=$(rss_kib "$p") && [ -n "$rss" ] && echo "$rss $p" # vanished: skipped
		done | sort -rn | awk '{ print $2 }'
	} | head -n "$NPIDS"
}

MYPGRP=
[ -n "$SRC" ] || MYPGRP=$(stat_field $$ 5)
CAPTURED_PIDS=()
if [ "$NPIDS" -gt 0 ]; then
	mapfile -t CAPTURED_PIDS < <(select_pids | grep -x "[0-9][0-9]*")
fi
for p in ${CAPTURED_PIDS[@]+"${CAPTURED_PIDS[@]}"}; do
	d=$SRC/proc/$p
	[ -d "$d" ] || { skip "/proc/$p" "vanished"; continue; }
	for f in stat status cmdline comm statm cgroup oom_score oom_score_adj; do
		copy "$d/$f" "proc/$p/$f"
	done
	is_kthread "$p" && continue # no mm: neither smaps_rollup nor exe
	copy "$d/smaps_rollup" "proc/$p/smaps_rollup"
	[ -L "$d/exe" ] && link "$d/exe" "proc/$p/exe"
done

# ------------------------------------------------------------------------- NUMA, slab, zram
NODE=sys/devices/system/node
for f in online possible has_cpu has_memory has_normal_memory; do
	copy "$SRC/$NODE/$f" "$NODE/$f"
done
for d in "$SRC/$NODE"/node[0-9]*; do
	for f in meminfo numastat cpulist distance; do
		copy "$d/$f" "$NODE/${d##*/}/$f"
	done
done

SLAB_FILES="reclaim_account object_size slab_size objs_per_slab order objects total_objects
	slabs aliases align cache_dma hwcache_align destroy_by_rcu"
slab_names()
{
	# slabinfo 2.1: name active_objs num_objs objsize objperslab pagesperslab ...
	awk 'NR > 2 { print $3 * $4, $1 }' "$OUT/proc/slabinfo" 2>/dev/null | sort -rn |
		awk '{ print $2 }' | { if [ -n "$NSLABS" ]; then head -n "$NSLABS"; else cat; fi; }
}
if [ -d "$SRC/sys/kernel/slab" ]; then
	if [ -s "$OUT/proc/slabinfo" ]; then
		mapfile -t SLABS < <(slab_names)
	else # slabinfo unreadable: every cache
		SLABS=()
		for d in "$SRC"/sys/kernel/slab/*; do SLABS+=("${d##*/}"); done
	fi
	for name in ${SLABS[@]+"${SLABS[@]}"}; do
		s=$SRC/sys/kernel/slab/$name
		[ -e "$s" ] || continue
		if [ -L "$s" ]; then
			link "$s" "sys/kernel/slab/$name"
			target=$(readlink -- "$s")
			case "$target" in */*) continue ;; esac # only aliases within the directory
			[ -d "$OUT/sys/kernel/slab/$target" ] && continue # merged cache seen before
			name=$target
			s=$SRC/sys/kernel/slab/$name
		fi
		for f in $SLAB_FILES; do
			copy "$s/$f" "sys/kernel/slab/$name/$f"
		done
	done
fi

for d in "$SRC"/sys/block/zram[0-9]*; do
	for f in mm_stat disksize; do
		copy "$d/$f" "sys/block/${d##*/}/$f"
	done
done

# ------------------------------------------------------------------------- cgroups
# Hierarchies: "mountpoint<TAB>type<TAB>superopts" for cgroup2 and (v1) memory mounts.
cg_mounts()
{
	[ -r "$OUT/proc/self/mountinfo" ] || return 0
	awk -v all="$ALL_CTRL" '{
		for (i = 7; i <= NF && $i != "-"; i++)
			;
		type = $(i + 1); opts = $(i + 3)
		if (type == "cgroup2" || (type == "cgroup" && (all == 1 || opts ~ /(^|,)memory(,|$)/)))
			printf "%s\t%s\t%s\n", $5, type, opts
	}' "$OUT/proc/self/mountinfo"
}

# The cgroup of every captured process in hierarchy (type, opts), one path per line.
cg_paths_of_procs()
{
	local type=$1 opts=$2 p

	for p in ${CAPTURED_PIDS[@]+"${CAPTURED_PIDS[@]}"}; do
		[ -r "$OUT/proc/$p/cgroup" ] || continue
		awk -F: -v type="$type" -v opts="$opts" '{
			path = $0; sub(/^[^:]*:[^:]*:/, "", path)
			if (type == "cgroup2" && $1 == "0" && $2 == "") { print path; next }
			if (type != "cgroup" || $2 == "") next
			n = split($2, want, ","); ok = 1
			for (j = 1; j <= n; j++)
				if (("," opts ",") !~ ("," want[j] ",")) ok = 0
			if (ok) print path
		}' "$OUT/proc/$p/cgroup"
	done
}

with_ancestors()
{
	local p

	while IFS= read -r p; do
		while :; do
			echo "$p"
			[ "$p" = / ] || [ -z "$p" ] && break
			p=${p%/*}
			[ -n "$p" ] || p=/
		done
	done | sort -u
}

capture_cgroup()
{
	local dir=$1 rel=$2 f base mode

	for f in "$dir"/memory.* "$dir"/cgroup.* "$dir"/*.pressure; do
		[ -f "$f" ] || continue
		base=${f##*/}
		[ -e "$OUT/$rel/$base" ] && continue # *.pressure matched twice (memory.pressure)
		case "$base" in
		memory.pressure_level | cgroup.event_control) continue ;; # v1 eventfd plumbing
		esac
		mode=$(stat -c %a -- "$f" 2>/dev/null) || continue
		if [ $((0$mode & 0444)) -eq 0 ]; then
			# write-only (cgroup.kill, memory.reclaim, ...): record that it exists
			mkdir -p "$OUT/$rel" && : >"$OUT/$rel/$base" && COPIED=$((COPIED + 1))
			continue
		fi
		copy "$f" "$rel/$base"
	done
}

while IFS=$'\t' read -r mnt type opts; do
	case "$mnt" in /sys/fs/cgroup | /sys/fs/cgroup/*) ;; *) continue ;; esac
	[ -d "$SRC$mnt" ] || continue
	if [ "$CG_MODE" = tree ]; then
		mapfile -t CGS < <(cd "$SRC$mnt" && find . -maxdepth "$CG_DEPTH" -type d 2>/dev/null |
			sed -e 's|^\.||' -e 's|^$|/|' | sort)
	else
		mapfile -t CGS < <(cg_paths_of_procs "$type" "$opts" | with_ancestors |
			awk -F/ -v max="$CG_DEPTH" '$0 == "/" || NF - 1 <= max')
		[ "${#CGS[@]}" -gt 0 ] || CGS=(/)
	fi
	for cg in "${CGS[@]}"; do
		cg=${cg%/}
		[ -d "$SRC$mnt$cg" ] || { skip "$mnt$cg" "cgroup vanished"; continue; }
		capture_cgroup "$SRC$mnt$cg" "${mnt#/}$cg"
	done
done < <(cg_mounts)

# ------------------------------------------------------------------------- summary
{
	echo "Captured by contrib/capture-fixture.sh on $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "kernel: $(cat "$SRC/proc/sys/kernel/osrelease" 2>/dev/null || echo unknown)"
	echo "processes: ${#CAPTURED_PIDS[@]} (${CAPTURED_PIDS[*]:-none})"
	echo "files: $COPIED copied, $SKIPPED skipped"
	if [ "$SKIPPED" -gt 0 ]; then
		echo "skipped:"
		sed 's/^/  /' "$SKIPLOG"
	fi
} >"$OUT/README"
echo "capture-fixture: $COPIED files into '$OUT' ($SKIPPED skipped)"
