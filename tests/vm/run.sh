#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The VM test tier: boot the Debian 12 guest (tests/vm/build-image.sh) under qemu TCG, one
# guest at a time, each inside a memory cgroup made here and removed afterwards, and run
# scenarios against oomguardiand and its peers. README.md, section "VM test tier".
#
#   tests/vm/run.sh                 the reduced set (CI) against oomguardiand
#   tests/vm/run.sh --all --peers   every scenario, every guardian, one table per scenario
#   tests/vm/run.sh [-s SCENARIO]... [-g GUARDIAN]...
#   tests/vm/run.sh -s deb-install  the .deb (OG_VM_DEB, default: built from HEAD) installed,
#                                   reloaded, upgraded, removed and purged in a clean guest
#   OG_VM_BUDGET_S=N                stop starting runs that would end after N s (CI: 1800)
#   OG_VM_PROFILE=1                 perf record of the guardian in each run: RUNDIR/.../perf.txt
#   tests/vm/run.sh --table RUNDIR  print the tables of the runs in RUNDIR again
#
# Prints one line per (scenario, oomguardian) "vm SCENARIO: PASS|FAIL|SKIP (why)" and, for
# each scenario, a table over the guardians. Logs: $OG_VM_CACHE/runs/<date>/.
# Exit status: 0 when no scenario FAILed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
# shellcheck source=tests/vm/lib.sh
. "$here/lib.sh"

REDUCED="fast-hog slow-leak reload slab numa"
# What .ci/run runs (--ci): the reduced set and the package's install, upgrade and purge.
CI_SET="fast-hog slow-leak reload slab numa deb-install"
ALL="fast-hog slow-leak reload watchdog budget tmpfs slab thrash fork-storm many-procs numa fast-hog@zram slow-leak@zram"
ALL="$ALL deb-install"
PEERS="oomguardian earlyoom nohang nohang-psi systemd-oomd kernel"
GUEST_MIB=${OG_VM_MEM_MIB:-1280}
scenarios= guardians= table_of=
while [ $# -gt 0 ]; do
	case $1 in
	--all) scenarios=$ALL ;;
	--peers) guardians=$PEERS ;;
	-s | --scenario) scenarios="$scenarios $2"; shift ;;
	-g | --guardian) guardians="$guardians $2"; shift ;;
	--ci) scenarios=$CI_SET guardians=oomguardian ;;
	--table) table_of=$2; shift ;;
	-h | --help) sed -n '3,19p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
	shift
done
scenarios=${scenarios:-$REDUCED}
guardians=${guardians:-oomguardian}

val() { sed -n "s/^$2=//p" "$1" 2>/dev/null | head -n1; }

# row DIR GUARDIAN: one line of the peer table. The victim column adds what else died: the
# processes of the machine (not the scenario's own) gone by the end, and the kernel's victims.
row() {
	local d=$1 g=$2 worst failed victim others kv kill cpu
	worst=$(awk '$3 == 0 && $2 > m { m = $2 } END { printf "%.1f", m / 1000 }' "$d/probes" 2>/dev/null)
	failed=$(awk '$3 != 0' "$d/probes" 2>/dev/null | wc -l)
	victim=$(val "$d/result" victim)
	others=$(val "$d/result" others_gone | sed 's/ *$//')
	[ -n "$others" ] && victim="$victim; also gone: $others"
	kv=$(val "$d/result" kernel_victims | sed 's/ *$//')
	[ -n "$kv" ] && victim="$victim; kernel killed $kv"
	kill=$(val "$d/result" kill_s)
	cpu=$(val "$d/result" guardian_cpu_s)
	# the guardian died during the run: its CPU and RSS went with it (older results: a
	# negative difference against the new process)
	if [ -n "$(val "$d/result" guardian_died)" ] || case $victim in wrong:*guardian*) true ;; *) false ;; esac; then
		cpu="(died)"
	fi
	printf '| %-12s | %4s | %-22s | %7s | %6s s%s | %6s | %7s | %s |\n' "$g" \
		"$(val "$d/result" oom_kills)" "${victim:-?}" "${kill:+$kill s}" \
		"$worst" "$([ "$failed" -gt 0 ] && echo " ($failed failed)")" \
		"$cpu" \
		"$(r=$(val "$d/result" guardian_rss_kib); [ -n "$r" ] && [ "$cpu" != "(died)" ] && awk -v r="$r" 'BEGIN { printf "%.1f MiB", r / 1024 }')" \
		"$(val "$d/host" load_start)-$(val "$d/host" load_end)"
}
# table RUNDIR SCENARIO GUARDIANS...: the table of one scenario
table() {
	local r=$1 s=$2 g first
	shift 2
	first=$r/$s/$1
	echo
	echo "### $s ($(val "$first/result" kernel), $(val "$first/result" shape))"
	echo
	echo "| guardian     | OOM kills | victim | hog start to kill | worst ssh login | guardian CPU s | peak RSS | host load |"
	echo "|---|---|---|---|---|---|---|---|"
	for g in "$@"; do row "$r/$s/$g" "$g"; done
}
if [ -n "$table_of" ]; then
	for s in $(cd "$table_of" && ls -d -- */ | tr -d /); do
		gs=
		for g in $PEERS; do [ -d "$table_of/$s/$g" ] && gs="$gs $g"; done
		# shellcheck disable=SC2086
		[ -n "$gs" ] && table "$table_of" "$s" $gs
	done
	exit 0
fi

t_begin=$(date +%s)
budget=${OG_VM_BUDGET_S:-0}
# every scenario gets its line even when nothing can run
all_lines() { # VERDICT
	local s
	for s in $scenarios; do echo "vm $s: $1"; done
	echo "vm: 0 passed, $(echo "$scenarios" | wc -w) failed, 0 skipped"
}
[ "$(id -u)" = 0 ] || { all_lines "FAIL (run.sh needs root: memory cgroup, image build)"; exit 1; }
# deb-install boots the clean guest (build-image.sh --clean) with the package; the others the
# image with this tree installed
deb_fail=
case " $scenarios " in *" deb-install "*)
	if ! OG_VM_DEB=$(vm_deb); then
		deb_fail="the package could not be built (see above)"
	elif ! "$here/build-image.sh" --clean; then
		deb_fail="the clean guest could not be built (see above)"
	fi
	export OG_VM_DEB ;;
esac
if [ -n "$(echo " $scenarios " | sed 's/ deb-install / /g' | tr -d ' ')" ] && ! "$here/build-image.sh"; then
	all_lines "FAIL (the guest image could not be built)"
	exit 1
fi
key=$VM_CACHE/id_ed25519
runs=$VM_CACHE/runs/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$runs"
vm_log "logs in $runs (image built or checked in $(($(date +%s) - t_begin)) s)"

qpid=
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null
		for _ in $(seq 50); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$qpid" 2>/dev/null
	fi
	qpid=
	vm_cg_remove
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

free_port() {
	local p
	for p in $(seq $((20022 + $$ % 500)) 20999); do
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return 0; }
	done
	return 1
}

ssh_guest() { # PORT CMD...
	local port=$1
	shift
	# a login that hangs after connecting (memory pressure) counts as failed after 120 s
	timeout 120 ssh -q -i "$key" -p "$port" -o BatchMode=yes -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o ConnectTimeout=30 \
		-o ServerAliveInterval=10 root@127.0.0.1 "$@"
}
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# boot SHAPE LOGDIR: qemu in its own memory cgroup; sets qpid and port
boot() {
	local shape=$1 dir=$2 mem=$GUEST_MIB smp=2 numa=() cmdline img=$VM_CACHE
	[ "$shape" = clean ] && img=$VM_CACHE/clean
	port=$(free_port) || vm_die "no free port"
	if [ "$shape" = numa ]; then
		numa=(-object "memory-backend-ram,id=m0,size=$((mem / 2))M"
			-object "memory-backend-ram,id=m1,size=$((mem / 2))M"
			-numa "node,nodeid=0,cpus=0,memdev=m0" -numa "node,nodeid=1,cpus=1,memdev=m1")
	fi
	cmdline="root=/dev/vda rw console=ttyS0 loglevel=1 systemd.unified_cgroup_hierarchy=1"
	cmdline="$cmdline systemd.show_status=0 panic=-1 quiet"
	# guest RAM + 768 MiB for qemu itself and its TCG code buffer (bounded by tb-size)
	vm_cg_create "ogtest-vm-$$" $((mem + 768))
	(
		vm_cg_enter "$BASHPID"
		exec qemu-system-x86_64 -accel tcg,tb-size=256 -cpu max -smp "$smp" -m "$mem" \
			"${numa[@]}" -nographic -no-reboot -monitor none -serial "file:$dir/console.log" \
			-kernel "$img/vmlinuz" -initrd "$img/initrd.img" -append "$cmdline" \
			-drive "file=$img/root.img,format=raw,if=virtio,snapshot=on" \
			-netdev "user,id=n0,hostfwd=tcp:127.0.0.1:$port-:22" -device virtio-net-pci,netdev=n0 \
			-virtfs "local,path=$here,mount_tag=ogvm,security_model=none,readonly=on" \
			</dev/null >"$dir/qemu.log" 2>&1
	) &
	qpid=$!
	local t0 i
	t0=$(ms_now)
	for i in $(seq 200); do
		kill -0 "$qpid" 2>/dev/null || { vm_log "qemu exited: $(tail -n 3 "$dir/qemu.log")"; return 1; }
		ssh_guest "$port" true 2>/dev/null && {
			echo "boot_s=$((($(ms_now) - t0) / 1000))" >>"$dir/host"
			return 0
		}
		sleep 2
	done
	vm_log "guest did not answer ssh within 400 s"
	return 1
}

# one (scenario, guardian) run; writes $dir/result (guest) + $dir/host (probes)
run_one() {
	local scen=$1 g=$2 dir=$3 shape=plain name=${1%@*} st lat rc t0 phase_now
	case $scen in *@*) shape=${scen#*@} ;; esac
	[ "$name" = numa ] && shape=numa
	[ "$name" = deb-install ] && shape=clean
	mkdir -p "$dir"
	# the host's load (1-minute average) when the run starts; load_end= when it ends
	echo "load_start=$(cut -d' ' -f1 /proc/loadavg)" >"$dir/host"
	if [ "$name" = deb-install ] && [ -n "$deb_fail" ]; then
		echo "check=fail:setup $deb_fail" >"$dir/result"
		: >"$dir/probes"
		return 0
	fi
	runno=$((runno + 1))
	# One guest per shape while it stays reachable (OG_VM_REUSE=0: a fresh boot for every
	# run): the scenario stops every guardian and leftover unit first and restarts its own.
	if [ -n "$qpid" ] && [ "$cur_shape" = "$shape" ] && [ "${OG_VM_REUSE:-1}" = 1 ] &&
		ssh_guest "$port" true 2>/dev/null; then
		echo "boot=reused" >>"$dir/host"
	else
		cleanup
		cur_shape=$shape
		boot "$shape" "$dir" || { echo "limit=guest did not boot" >>"$dir/host"; cleanup; return 0; }
		# the guest's RAM touched once, so no run is the first to make qemu back it
		[ "$shape" = clean ] || echo "warm=$(ssh_guest "$port" 'sh /mnt/ogvm/guest/warm.sh' 2>&1 |
			tail -n 1)" >>"$dir/host"
	fi
	[ "$name" = deb-install ] && { run_deb "$dir"; return 0; }
	ssh_guest "$port" "mkdir -p /run/ogvm && rm -f /run/ogvm/profile /run/ogvm/perf.txt &&
		$([ "${OG_VM_PROFILE:-0}" = 1 ] && echo 'touch /run/ogvm/profile &&')
		cp /mnt/ogvm/guest/scenario.sh /run/ogvm/ &&
		systemd-run -q --unit=ogdriver-$runno -p OOMScoreAdjust=-1000 /bin/bash /run/ogvm/scenario.sh $name $g $shape" ||
		{ echo "limit=could not start the scenario" >>"$dir/host"; cleanup; return 0; }
	# ssh logins from the host all through the incident and after: one at a time, each timed
	: >"$dir/probes"
	local deadline=$(($(date +%s) + 1500))
	[ "$budget" -gt 0 ] && [ $((t_begin + budget)) -lt $deadline ] && deadline=$((t_begin + budget))
	while [ "$(date +%s)" -lt $deadline ]; do
		t0=$(ms_now)
		st=$(ssh_guest "$port" 'cat /run/ogvm/state 2>/dev/null || echo none')
		rc=$?
		lat=$(($(ms_now) - t0))
		echo "$t0 $lat $rc ${st:-?}" >>"$dir/probes"
		[ "$st" = done ] && break
		kill -0 "$qpid" 2>/dev/null || break
		sleep 1
	done
	if [ "$st" != done ]; then
		if [ "$budget" -gt 0 ] && [ "$(date +%s)" -ge $((t_begin + budget)) ]; then
			echo "limit=time budget OG_VM_BUDGET_S=$budget reached during the run" >>"$dir/host"
		else
			echo "unfinished=the scenario did not finish within 1500 s" >>"$dir/host"
		fi
	fi
	# a last login after the incident
	t0=$(ms_now)
	ssh_guest "$port" 'cat /run/ogvm/result' >"$dir/result" 2>/dev/null
	rc=$?
	echo "$t0 $(($(ms_now) - t0)) $rc final" >>"$dir/probes"
	ssh_guest "$port" 'cat /run/ogvm/journal.txt' >"$dir/journal.txt" 2>/dev/null
	ssh_guest "$port" 'cat /run/ogvm/guardian.log 2>/dev/null; cat /run/ogvm/snapshot.txt 2>/dev/null' \
		>"$dir/guardian.log" 2>/dev/null
	ssh_guest "$port" 'dmesg' >"$dir/dmesg.txt" 2>/dev/null
	[ "${OG_VM_PROFILE:-0}" = 1 ] && ssh_guest "$port" 'cat /run/ogvm/perf.txt 2>/dev/null' \
		>"$dir/perf.txt" 2>/dev/null
	echo "host_oom_kills=$(vm_cg_oom_kills)" >>"$dir/host"
	echo "host_peak_mib=$(vm_cg_peak_mib)" >>"$dir/host"
	[ "${OG_VM_REUSE:-1}" = 1 ] || cleanup
}

# deb-install: contrib/deb-guest-check.sh and the package copied in over ssh and run as a
# transient unit; its "ok|FAIL NAME ..." lines become the result's check= lines
run_deb() { # DIR
	local dir=$1 rc= src t0 t_end
	ssh_guest "$port" 'mkdir -p /run/ogvm && cat >/run/ogvm/deb-guest-check.sh' \
		<"$top/contrib/deb-guest-check.sh" &&
		ssh_guest "$port" "cat >/run/ogvm/$(basename "$OG_VM_DEB")" <"$OG_VM_DEB" &&
		ssh_guest "$port" "systemd-run -q --unit=ogdebcheck -p OOMScoreAdjust=-1000 /bin/sh -c \
			'sh /run/ogvm/deb-guest-check.sh /run/ogvm/$(basename "$OG_VM_DEB") \
			>/run/ogvm/deb.out 2>&1; echo \$? >/run/ogvm/deb.rc'" ||
		{ echo "limit=could not start deb-guest-check.sh in the guest" >>"$dir/host"; return 0; }
	: >"$dir/probes"
	t_end=$(($(date +%s) + 900))
	while [ "$(date +%s)" -lt "$t_end" ] && kill -0 "$qpid" 2>/dev/null; do
		t0=$(ms_now)
		rc=$(ssh_guest "$port" 'cat /run/ogvm/deb.rc 2>/dev/null || true')
		src=$?
		echo "$t0 $(($(ms_now) - t0)) $src ${rc:+done}" >>"$dir/probes"
		[ -n "$rc" ] && break
		sleep 2
	done
	t0=$(ms_now)
	ssh_guest "$port" 'cat /run/ogvm/deb.out' >"$dir/deb.out" 2>/dev/null
	src=$?
	echo "$t0 $(($(ms_now) - t0)) $src final" >>"$dir/probes"
	ssh_guest "$port" 'journalctl -b --no-pager' >"$dir/journal.txt" 2>/dev/null
	{
		echo "kernel=$(ssh_guest "$port" 'uname -r')"
		echo "shape=clean"
		sed -n -e 's/^ok \(.*\)/check=ok:\1/p' -e 's/^FAIL \(.*\)/check=fail:\1/p' "$dir/deb.out"
		[ -n "$rc" ] || echo "check=fail:finished deb-guest-check.sh did not finish within 900 s"
		grep -q '^deb-guest-check: PASS' "$dir/deb.out" || [ -z "$rc" ] ||
			grep -q '^FAIL ' "$dir/deb.out" ||
			echo "check=fail:exit deb-guest-check.sh: $(tail -n 1 "$dir/deb.out")"
	} >"$dir/result"
	echo "host_oom_kills=$(vm_cg_oom_kills)" >>"$dir/host"
	echo "host_peak_mib=$(vm_cg_peak_mib)" >>"$dir/host"
	cleanup
}


# verdict DIR: PASS/FAIL/SKIP + reason, from the guest's checks and the host's probes
verdict() {
	local d=$1 lim fails probes_bad during after
	lim=$(val "$d/host" limit)
	[ -z "$lim" ] && lim=$(val "$d/result" limit)
	if [ -n "$lim" ]; then
		echo "SKIP ($lim)"
		return
	fi
	[ -s "$d/result" ] || { echo "FAIL (no result from the guest)"; return; }
	lim=$(sed -n 's/^check=fail:setup //p' "$d/result") # nothing booted
	[ -n "$lim" ] && { echo "FAIL ($lim)"; return; }
	[ -n "$(val "$d/host" unfinished)" ] && { echo "FAIL ($(val "$d/host" unfinished))"; return; }
	fails=$(sed -n 's/^check=fail://p' "$d/result" | tr '\n' ';')
	# Failed checks that tests/vm/known-limits lists for this scenario are the daemon's known
	# limits: the run is SKIPped with the reason and what was measured, never counted as a
	# pass. A limit that got fixed passes; any other failed check still FAILs.
	local c limits="" unknown=""
	while IFS= read -r c; do
		[ -n "$c" ] || continue
		lim=$(awk -v s="$2" -v c="${c%% *}" '$1 == s && $2 == c { $1 = $2 = ""; sub(/^ +/, ""); print; exit }' \
			"$here/known-limits" 2>/dev/null)
		if [ -n "$lim" ]; then limits="$limits $c: $lim;"; else unknown="$unknown $c;"; fi
	done < <(sed -n 's/^check=fail://p' "$d/result")
	[ -n "$limits" ] && [ -z "$unknown" ] && fails=
	probes_bad=$(awk '$3 != 0' "$d/probes" | wc -l)
	during=$(awk '$3 == 0 && $4 == "incident"' "$d/probes" | wc -l)
	after=$(awk '$3 == 0 && ($4 == "after" || $4 == "done" || $4 == "final")' "$d/probes" | wc -l)
	[ "$probes_bad" -gt 0 ] && fails="$fails ssh: $probes_bad logins failed;"
	[ "$after" -gt 0 ] || fails="$fails ssh: no login after the incident;"
	[ "$(val "$d/host" host_oom_kills)" = 0 ] || fails="$fails qemu hit its host cgroup limit;"
	if [ -z "$fails" ] && [ -n "$limits" ]; then
		echo "SKIP (known limit:$limits logins during: $during, after: $after)"
	elif [ -z "$fails" ]; then
		echo "PASS (logins during: $during, after: $after)"
	else
		echo "FAIL ($fails)"
	fi
}

# the runs grouped by shape (plain, then numa, then zram): one boot each
shape_of() { case $1 in numa) echo 1 ;; *@zram) echo 2 ;; deb-install) echo 3 ;; *) echo 0 ;; esac; }
scenarios=$(for s in $scenarios; do echo "$(shape_of "$s") $s"; done | sort -s -k1,1n | cut -d' ' -f2 | tr '\n' ' ')
cur_shape= runno=0
main() {
pass=0 fail=0 skip=0 longest=300
for scen in $scenarios; do
	for g in $guardians; do
		d=$runs/$scen/$g
		t_run=$(date +%s)
		if [ "$budget" -gt 0 ] && [ $((t_run + longest)) -gt $((t_begin + budget)) ]; then
			mkdir -p "$d"
			echo "limit=time budget: OG_VM_BUDGET_S=$budget would be exceeded" >"$d/host"
			vm_log "scenario $scen, guardian $g: not started (time budget)"
		else
			vm_log "scenario $scen, guardian $g"
			run_one "$scen" "$g" "$d"
			[ $(($(date +%s) - t_run)) -gt "$longest" ] && longest=$(($(date +%s) - t_run))
			echo "run_s=$(($(date +%s) - t_run))" >>"$d/host"
			echo "load_end=$(cut -d' ' -f1 /proc/loadavg)" >>"$d/host"
		fi
		if [ "$g" = oomguardian ]; then
			v=$(verdict "$d" "${scen%@*}")
			echo "vm $scen: $v"
			case $v in PASS*) pass=$((pass + 1)) ;; SKIP*) skip=$((skip + 1)) ;; *) fail=$((fail + 1)) ;; esac
		fi
	done
	# shellcheck disable=SC2086
	table "$runs" "$scen" $guardians | tee -a "$runs/table.md"
done
echo "vm: $pass passed, $fail failed, $skip skipped (logs: $runs)"
[ "$fail" = 0 ]
}
# All in a function: bash has read the whole script before anything runs.
main; exit $?
