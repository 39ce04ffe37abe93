#!/usr/bin/env bash
# scripts/bench.sh — mugai against a plain Postfix relay, on one machine.
#
# Three generated messages (2 KiB ISO-2022-JP plain text; 30 KiB
# text+HTML multipart/alternative; 500 KiB HTML with a PDF attachment),
# each sent BENCH_COUNT times with Postfix's smtp-source at each number of
# concurrent sessions in BENCH_SESSIONS, through
#   (a) `mugai serve` with the default policy (sanitise, original to
#       quarantine, spool with fsync: nothing about durability is turned
#       off), and
#   (b) a plain Postfix relay (its own queue, fsync as shipped),
# both relaying to one smtp-sink that counts what arrives. The two run
# alternately in every cell (order swapped from cell to cell), on
# 127.0.0.1, with their data in one temporary directory on the same disk.
# End-to-end time runs from starting smtp-source to the sink counting the
# last message. Then the memory test: BENCH_MEMORY_SESSIONS (200) sessions
# at once, each sending one 20 MiB message through mugai: its peak RSS must
# stay below 512 MiB and the sink must count every message. That test
# sends with `benchtool send` (go-smtp client, each session streaming the
# file): smtp-source is one process that writes a whole message body with
# blocking writes, so its 200 sessions would transfer their 20 MiB one
# after another, and the ones waiting their turn after DATA would trip
# mugai's min_data_rate (1 KiB/s after a 1-minute grace) on a slow day.
#
# smtp-source runs with its defaults: HELO, one message per connection
# (it would keep the connection with -d). Set BENCH_SOURCE_ARGS=-d for
# persistent sessions.
#
# Needs: root (a private Postfix instance; smtp-sink -u nobody), Go, and
# Debian's postfix package (postfix, postconf, smtp-source, smtp-sink):
#   echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
#   DEBIAN_FRONTEND=noninteractive apt-get install -y postfix
# The system's own Postfix is neither used nor touched.
#
# Environment:
#   BENCH_COUNT=2000           messages per cell and relay
#   BENCH_SESSIONS="1 8 32"    concurrent smtp-source sessions
#   BENCH_MESSAGES="small alt pdf"
#   BENCH_SKIP_MEMORY=         non-empty: skip the 20 MiB memory test
#   BENCH_MEMORY_SESSIONS=200  sessions (one 20 MiB message each)
#   BENCH_CONNECTIONS=8        mugai's deliver.connections to the sink
#   BENCH_SOURCE_ARGS=         extra smtp-source arguments (e.g. -d)
#   BENCH_PROFILE=DIR          also profile mugai in one extra 8-session
#                              cell per message (CPU, block and mutex
#                              profiles via an -overlay build; mugai's
#                              source is not changed) into DIR
#   BENCH_TMPDIR=/var/tmp      where the work directory goes (not tmpfs:
#                              fsync must cost what it costs)
#   BENCH_CELL_TIMEOUT=15m     give up on one cell after this
#   BENCH_KEEP=                non-empty: keep the work directory (after a
#                              failure the logs are kept in any case)
#
# Output: the tables on stdout (Markdown), progress on stderr.
set -euo pipefail

COUNT=${BENCH_COUNT:-2000}
SESSIONS=${BENCH_SESSIONS:-"1 8 32"}
MESSAGES=${BENCH_MESSAGES:-"small alt pdf"}
SKIP_MEMORY=${BENCH_SKIP_MEMORY:-}
MEM_SESSIONS=${BENCH_MEMORY_SESSIONS:-200}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
SOURCE_ARGS=${BENCH_SOURCE_ARGS:-}
PROFILE=${BENCH_PROFILE:-}
TMPBASE=${BENCH_TMPDIR:-/var/tmp}
CELL_TIMEOUT=${BENCH_CELL_TIMEOUT:-15m}
KEEP=${BENCH_KEEP:-}

MEM_LIMIT_MIB=512
FROM=sender@example.jp
TO=user@lgwan.example
DOMAIN=lgwan.example
PATH=$PATH:/usr/sbin:/sbin

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
started=$(date +%s)

die() { echo "bench: $*" >&2; exit 1; }
say() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }

[[ $(id -u) == 0 ]] || die "run as root: a private Postfix instance and smtp-sink -u nobody need it"
for t in go postfix postconf smtp-source smtp-sink; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install postfix; Go 1.26)"
done
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "BENCH_COUNT must be a positive number"
[[ $PROFILE == "" || $PROFILE == /* ]] || PROFILE=$PWD/$PROFILE

# ---------------------------------------------------------------------------
# Work directory and cleanup: every process started here is stopped, and
# the directory removed, however the script ends.

mkdir -p "$TMPBASE"
work=$(mktemp -d "$TMPBASE/mugai-bench.XXXXXX")
chmod 0755 "$work" # Postfix's daemons (user postfix) walk into their queue below it
[[ $(stat -f -c %T "$work") != tmpfs ]] || { rmdir "$work"; die "$TMPBASE is tmpfs, where fsync costs nothing; set BENCH_TMPDIR to a directory on disk"; }
bin=$work/bin
pfetc=$work/postfix/etc
mkdir -p "$bin" "$work/msg" "$work/scrape"

sink_pid=
mugai_pid=
prof_pid=
postfix_up=

# stop_pid PID SECONDS: SIGTERM, then SIGKILL after SECONDS.
stop_pid() {
	local pid=$1 t=$2
	[[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < t * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
		sleep 0.1
	done
	say "pid $pid did not stop within ${t}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

# postfix_procs: pids of this script's Postfix instance (its daemons carry
# MAIL_CONFIG=$pfetc from their master).
postfix_procs() {
	local p
	for p in /proc/[0-9]*; do
		if grep -qzxF "MAIL_CONFIG=$pfetc" "$p/environ" 2>/dev/null; then
			echo "${p#/proc/}"
		fi
	done
}

stop_postfix() {
	[[ -n $postfix_up ]] || return 0
	postfix_up=
	local master left
	master=$(cat "$work/postfix/queue/pid/master.pid" 2>/dev/null || true)
	master=${master//[^0-9]/}
	postfix -c "$pfetc" stop >/dev/null 2>&1 || true
	for ((i = 0; i < 100; i++)); do
		[[ -n $master ]] && kill -0 "$master" 2>/dev/null || break
		sleep 0.1
	done
	for ((i = 0; i < 20; i++)); do
		left=$(postfix_procs)
		[[ -z $left ]] && return 0
		sleep 0.25
	done
	say "Postfix processes left after stop: $(echo $left); SIGKILL"
	kill -KILL $left 2>/dev/null || true
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	set +e
	stop_pid "$prof_pid" 30
	stop_pid "$mugai_pid" 30
	stop_postfix
	stop_pid "$sink_pid" 5
	if [[ -n $KEEP ]]; then
		say "work directory kept: $work"
	else
		if ((rc != 0)); then
			# Keep the logs (not the spool, the quarantine or the messages).
			local logs
			logs=$(mktemp -d "$TMPBASE/mugai-bench-logs.XXXXXX")
			cp "$work"/mugai/serve.log "$work"/postfix/maillog "$work"/sink.err "$logs"/ 2>/dev/null
			say "failed: logs kept in $logs"
		fi
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Build, ports, messages.

say "building mugai and the bench helper"
(cd "$repo" && go build -o "$bin/mugai" ./cmd/mugai && go build -o "$bin/benchtool" ./scripts/benchtool)
bt=$bin/benchtool

read -r -d '' SINK_PORT MUGAI_PORT ADMIN_PORT POSTFIX_PORT PPROF_PORT PROF_SMTP_PORT PROF_ADMIN_PORT < <($bt ports -n 7 && printf '\0') || true
[[ -n $PROF_ADMIN_PORT ]] || die "could not get free ports"

declare -A SIZE_LABEL=([small]="2 KiB plain" [alt]="30 KiB text+HTML" [pdf]="500 KiB HTML+PDF")
for m in $MESSAGES; do
	[[ -n ${SIZE_LABEL[$m]:-} ]] || die "unknown message $m in BENCH_MESSAGES (small alt pdf)"
	$bt gen -kind "$m" -o "$work/msg/$m.eml"
done
[[ -f $work/msg/small.eml ]] || $bt gen -kind small -o "$work/msg/small.eml" # for the warm-up
[[ -n $SKIP_MEMORY ]] || $bt gen -kind big -o "$work/msg/big.eml"

# ---------------------------------------------------------------------------
# The sink: counts messages (-c), keeps nothing.

say "smtp-sink on 127.0.0.1:$SINK_PORT"
: >"$work/sink.out"
smtp-sink -u nobody -c "127.0.0.1:$SINK_PORT" 1024 >"$work/sink.out" 2>"$work/sink.err" &
sink_pid=$!
$bt greet -addr "127.0.0.1:$SINK_PORT" -timeout 10s || die "smtp-sink did not start: $(cat "$work/sink.err")"

# ---------------------------------------------------------------------------
# mugai: one route on loopback, default policy, delivering to the sink.

# write_mugai_config FILE DIR SMTP_PORT ADMIN_PORT
write_mugai_config() {
	local dir=$2
	mkdir -p "$dir"
	cat >"$1" <<EOF
# Written by scripts/bench.sh. Durability as in production: every 250
# follows an fsync of the spool (and of the quarantine for the original).
admin: {listen: "127.0.0.1:$4"}
spool_dir: $dir/spool
quarantine: {dir: $dir/quarantine, retention: 1d}
log: {level: info, format: json, audit: $dir/audit.log}
routes:
  - name: bench
    listen: ["127.0.0.1:$3"]
    hostname: mugai.bench.test
    clients: ["127.0.0.0/8"]
    domains: [$DOMAIN]
    recipients: {verify: none}
    limits:
      max_message_size: 32MiB
      max_recipients: 100
      max_connections: 512
      max_connections_per_client: 512
      command_timeout: 5m
      data_timeout: 1m
      min_data_rate: 1KiB
    policy: default
    deliver:
      to: "smtp://127.0.0.1:$SINK_PORT"
      tls: none
      connections: $CONNECTIONS
# The policies of the embedded default configuration (mugai config default).
EOF
	"$bin/mugai" config default | sed -n '/^policies:/,$p' >>"$1"
	grep -q '^policies:' "$1" || die "no policies in mugai config default"
}

write_mugai_config "$work/mugai.yaml" "$work/mugai" "$MUGAI_PORT" "$ADMIN_PORT"
"$bin/mugai" check -config "$work/mugai.yaml" >/dev/null || die "mugai check failed"
say "mugai on 127.0.0.1:$MUGAI_PORT (admin $ADMIN_PORT)"
# In a session of its own, as Postfix's master is: with the kernel's
# autogroup scheduling (sched_autogroup_enabled) each session gets its
# own CPU share, and a relay sharing the session of smtp-source and
# smtp-sink would get less CPU than Postfix on a busy machine. (setsid
# execs in place here, so $! is mugai's pid.)
setsid "$bin/mugai" serve -config "$work/mugai.yaml" >"$work/mugai/serve.log" 2>&1 &
mugai_pid=$!
$bt greet -addr "127.0.0.1:$MUGAI_PORT" -timeout 30s || die "mugai did not start: $(tail -20 "$work/mugai/serve.log")"
[[ $(readlink "/proc/$mugai_pid/exe") == "$bin/mugai" ]] || die "pid $mugai_pid is not mugai"

# ---------------------------------------------------------------------------
# A plain Postfix relay in a private directory: loopback only, no DNS, no
# local delivery, relaying $DOMAIN to the sink. Otherwise Postfix's
# defaults (queue fsync included), daemons without chroot.

say "Postfix relay on 127.0.0.1:$POSTFIX_PORT (postfix -c $pfetc)"
mkdir -p "$pfetc" "$work/postfix/queue" "$work/postfix/data"
chown postfix "$work/postfix/data"
cat >"$pfetc/main.cf" <<EOF
# Written by scripts/bench.sh: a plain relay for the benchmark.
compatibility_level = 3.6
queue_directory = $work/postfix/queue
data_directory = $work/postfix/data
mail_owner = postfix
setgid_group = postdrop
myhostname = relay.bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
local_transport = error:5.1.1 local delivery is disabled
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relay_domains = $DOMAIN
relayhost = [127.0.0.1]:$SINK_PORT
smtp_dns_support_level = disabled
maillog_file = $work/postfix/maillog
biff = no
append_dot_mydomain = no
message_size_limit = 33554432
EOF
cat >"$pfetc/master.cf" <<EOF
127.0.0.1:$POSTFIX_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
postfix_up=1
postfix -c "$pfetc" start >"$work/postfix/start.log" 2>&1 || die "postfix start failed: $(cat "$work/postfix/start.log")"
$bt greet -addr "127.0.0.1:$POSTFIX_PORT" -timeout 30s || die "Postfix did not start: $(cat "$work/postfix/start.log" "$work/postfix/maillog" 2>/dev/null | tail -20)"

# ---------------------------------------------------------------------------
# One cell.

# run_cell SYSTEM FILE SESSIONS COUNT: sends through mugai or postfix and
# sets ELAPSED SRC DELIVERED MCPU PCPU SRCCPU SINKCPU (see benchtool run).
run_cell() {
	local sys=$1 file=$2 s=$3 n=$4 port who out
	case $sys in
	mugai) port=$MUGAI_PORT who="-pid $mugai_pid" ;;
	postfix) port=$POSTFIX_PORT who="-env MAIL_CONFIG=$pfetc" ;;
	esac
	# shellcheck disable=SC2086
	out=$($bt run -sink-out "$work/sink.out" -count "$n" $who -sink-pid "$sink_pid" -timeout "$CELL_TIMEOUT" -- \
		smtp-source $SOURCE_ARGS -s "$s" -m "$n" -f "$FROM" -t "$TO" -F "$file" "127.0.0.1:$port") ||
		die "$sys, $(basename "$file"), $s sessions failed"
	read -r ELAPSED SRC DELIVERED MCPU PCPU SRCCPU SINKCPU <<<"$out"
}

scrape() { $bt get -url "http://127.0.0.1:$ADMIN_PORT/metrics" -o "$1"; }
hwm_kib() { awk '/^VmHWM:/ {print $2}' "/proc/$1/status"; }
reset_hwm() { echo 5 >"/proc/$1/clear_refs"; } # peak RSS := current RSS (Linux ≥ 4.0)

# Warm up both (Go runtime and page cache; Postfix's daemons spawned), so
# the first cell does not pay for it.
say "warm-up: 200 messages through each"
run_cell mugai "$work/msg/small.eml" 8 200
run_cell postfix "$work/msg/small.eml" 8 200

rate() { awk -v n="$1" -v t="$2" 'BEGIN { printf "%.0f", n / t }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; } # a / b
per_msg_ms() { awk -v c="$1" -v n="$2" 'BEGIN { printf "%.2f", c * 1000 / n }'; }
# other MACHINE RELAY TOOLS ELAPSED: cores kept busy by everything else
other() { awk -v m="$1" -v r="$2" -v t="$3" -v e="$4" 'BEGIN { o = (m - r - t) / e; printf "%.1f", o < 0 ? 0 : o }'; }

declare -a ROWS COST
declare -A RATIO8 MUGAI8
cell=0
for m in $MESSAGES; do
	file=$work/msg/$m.eml
	for s in $SESSIONS; do
		cell=$((cell + 1))
		order="mugai postfix"
		((cell % 2 == 0)) && order="postfix mugai"
		for sys in $order; do
			sync
			sleep 1
			say "${SIZE_LABEL[$m]}, $s sessions, $COUNT messages: $sys"
			if [[ $sys == mugai ]]; then
				scrape "$work/scrape/before"
				reset_hwm "$mugai_pid"
				run_cell mugai "$file" "$s" "$COUNT"
				scrape "$work/scrape/after"
				m_el=$ELAPSED m_src=$SRC m_mcpu=$MCPU m_pcpu=$PCPU m_tools=$(awk -v a="$SRCCPU" -v b="$SINKCPU" 'BEGIN { print a + b }')
				m_rss=$(($(hwm_kib "$mugai_pid") / 1024))
				q=$($bt quantile -metric mugai_accept_duration_seconds -match 'route="bench"' \
					"$work/scrape/before" "$work/scrape/after")
				read -r p50 p99 mean nobs <<<"$q"
				((nobs == COUNT)) || say "warning: accept histogram counted $nobs messages, expected $COUNT"
			else
				run_cell postfix "$file" "$s" "$COUNT"
				p_el=$ELAPSED p_src=$SRC p_mcpu=$MCPU p_pcpu=$PCPU p_tools=$(awk -v a="$SRCCPU" -v b="$SINKCPU" 'BEGIN { print a + b }')
			fi
		done
		mr=$(rate "$COUNT" "$m_el") pr=$(rate "$COUNT" "$p_el") r=$(ratio "$p_el" "$m_el")
		say "  mugai $mr msg/s, postfix $pr msg/s, ratio $r; accept p50 $p50 ms p99 $p99 ms; peak RSS $m_rss MiB"
		ROWS+=("| ${SIZE_LABEL[$m]} | $s | $mr | $pr | **$r** | $p50 | $p99 | $m_rss |")
		COST+=("| ${SIZE_LABEL[$m]} | $s | $(rate "$COUNT" "$m_src") / $(rate "$COUNT" "$p_src") | $mean | $(per_msg_ms "$m_pcpu" "$COUNT") | $(per_msg_ms "$p_pcpu" "$COUNT") | $(per_msg_ms "$m_tools" "$COUNT") / $(per_msg_ms "$p_tools" "$COUNT") | $(other "$m_mcpu" "$m_pcpu" "$m_tools" "$m_el") / $(other "$p_mcpu" "$p_pcpu" "$p_tools" "$p_el") |")
		if [[ $s == 8 ]]; then
			RATIO8[$m]=$r
			MUGAI8[$m]=$mr
		fi
	done
done

# ---------------------------------------------------------------------------
# Memory: many sessions at once, each with one 20 MiB message.

mem_line=
if [[ -z $SKIP_MEMORY ]]; then
	sync
	sleep 1
	say "memory: $MEM_SESSIONS sessions, one 20 MiB message each, through mugai"
	reset_hwm "$mugai_pid"
	rss0=$(($(awk '/^VmRSS:/ {print $2}' "/proc/$mugai_pid/status") / 1024))
	# benchtool send, not smtp-source: see the comment at the top.
	out=$($bt run -sink-out "$work/sink.out" -count "$MEM_SESSIONS" -pid "$mugai_pid" -sink-pid "$sink_pid" -timeout "$CELL_TIMEOUT" -- \
		"$bt" send -addr "127.0.0.1:$MUGAI_PORT" -s "$MEM_SESSIONS" -f "$FROM" -t "$TO" -F "$work/msg/big.eml") ||
		die "memory test failed"
	read -r ELAPSED SRC DELIVERED MCPU PCPU SRCCPU SINKCPU <<<"$out"
	rss=$(($(hwm_kib "$mugai_pid") / 1024))
	verdict="PASS"
	((rss < MEM_LIMIT_MIB && DELIVERED >= MEM_SESSIONS)) || verdict="FAIL"
	mem_line="$MEM_SESSIONS concurrent sessions × 20 MiB: peak RSS $rss MiB (limit $MEM_LIMIT_MIB MiB; $rss0 MiB when the test began), sink counted $DELIVERED of $MEM_SESSIONS, ${ELAPSED}s — $verdict"
	say "  $mem_line"
fi

# ---------------------------------------------------------------------------
# Profiles (optional): a second mugai built with an overlay that serves
# net/http/pprof, one 8-session cell per message, long enough for an 8 s
# CPU profile and block/mutex deltas.

if [[ -n $PROFILE ]]; then
	stop_pid "$mugai_pid" 30
	mugai_pid=
	mkdir -p "$PROFILE"
	printf '{"Replace":{"%s":"%s"}}\n' "$repo/cmd/mugai/zz_benchpprof.go" "$repo/scripts/benchpprof.go.in" >"$work/overlay.json"
	(cd "$repo" && go build -overlay "$work/overlay.json" -o "$bin/mugai-pprof" ./cmd/mugai)
	write_mugai_config "$work/prof.yaml" "$work/prof" "$PROF_SMTP_PORT" "$PROF_ADMIN_PORT"
	MUGAI_BENCH_PPROF=127.0.0.1:$PPROF_PORT setsid "$bin/mugai-pprof" serve -config "$work/prof.yaml" >"$work/prof/serve.log" 2>&1 &
	prof_pid=$!
	$bt greet -addr "127.0.0.1:$PROF_SMTP_PORT" -timeout 30s || die "profiling mugai did not start"
	MUGAI_PORT=$PROF_SMTP_PORT mugai_pid=$prof_pid
	run_cell mugai "$work/msg/small.eml" 8 200
	for m in $MESSAGES; do
		# about 12 s of traffic at the measured rate
		n=$(awk -v r="${MUGAI8[$m]:-200}" 'BEGIN { n = int(r * 12); if (n < 200) n = 200; print n }')
		say "profile: ${SIZE_LABEL[$m]}, 8 sessions, $n messages"
		u=http://127.0.0.1:$PPROF_PORT/debug/pprof
		$bt get -url "$u/profile?seconds=8" -o "$PROFILE/$m.cpu.pprof" &
		g1=$!
		$bt get -url "$u/block?seconds=8" -o "$PROFILE/$m.block.pprof" &
		g2=$!
		$bt get -url "$u/mutex?seconds=8" -o "$PROFILE/$m.mutex.pprof" &
		g3=$!
		run_cell mugai "$work/msg/$m.eml" 8 "$n"
		wait $g1 $g2 $g3
		for k in cpu block mutex; do
			go tool pprof -top -nodecount=40 "$bin/mugai-pprof" "$PROFILE/$m.$k.pprof" >"$PROFILE/$m.$k.top.txt" 2>/dev/null || true
		done
		go tool pprof -top -cum -nodecount=60 "$bin/mugai-pprof" "$PROFILE/$m.cpu.pprof" >"$PROFILE/$m.cpu.cum.txt" 2>/dev/null || true
		say "  $(rate "$n" "$ELAPSED") msg/s while profiling; mugai CPU $(per_msg_ms "$PCPU" "$n") ms/msg"
	done
	$bt get -url "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap" -o "$PROFILE/heap.pprof"
	go tool pprof -top -sample_index=inuse_space -nodecount=30 "$bin/mugai-pprof" "$PROFILE/heap.pprof" >"$PROFILE/heap.top.txt" 2>/dev/null || true
	cp "$bin/mugai-pprof" "$PROFILE/mugai-pprof"
	say "profiles in $PROFILE (go tool pprof $PROFILE/mugai-pprof $PROFILE/pdf.cpu.pprof)"
fi

# ---------------------------------------------------------------------------
# Report.

elapsed=$(($(date +%s) - started))
{
	echo "## mugai vs Postfix relay"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), kernel $(uname -r),"
	echo "$(stat -f -c %T "$work") at $TMPBASE, Postfix $(postconf -c "$pfetc" -h mail_version), mugai $(cd "$repo" && git describe --always --dirty 2>/dev/null || echo '?'),"
	echo "$COUNT messages per cell, smtp-source ${SOURCE_ARGS:-default (one message per connection)}, mugai deliver.connections $CONNECTIONS,"
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg); run time ${elapsed}s."
	echo
	echo "| message | sessions | mugai msg/s | Postfix msg/s | mugai/Postfix | accept p50 ms | accept p99 ms | mugai peak RSS MiB |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${ROWS[@]}"
	echo
	echo "Accept latency: end of DATA to the 250 (sanitise, quarantine, spool fsync), from mugai's"
	echo "own histogram (buckets 5, 10, 25, 50, 100 ms…: quantiles are interpolated within them)."
	echo
	echo "| message | sessions | accepted msg/s, mugai / Postfix | accept mean ms | mugai CPU ms/msg | Postfix CPU ms/msg | smtp-source + smtp-sink CPU ms/msg, mugai / Postfix run | other load, cores, mugai / Postfix run |"
	echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
	printf '%s\n' "${COST[@]}"
	echo
	echo "Accepted msg/s: until smtp-source had its last 250. CPU: user + system of the relay"
	echo "(for Postfix all its daemons, including those that exited). Other load: CPU the machine"
	echo "spent on anything but the relay, smtp-source and smtp-sink during the run, in cores"
	echo "(of $(nproc)); it competes with the benchmark."
	echo
	echo "Targets at 8 sessions: ratio ≥ 2.0 (2 KiB), ≥ 1.5 (30 KiB), ≥ 1.2 (500 KiB)."
	for m in $MESSAGES; do
		[[ -n ${RATIO8[$m]:-} ]] || continue
		case $m in small) t=2.0 ;; alt) t=1.5 ;; pdf) t=1.2 ;; esac
		awk -v r="${RATIO8[$m]}" -v t="$t" -v l="${SIZE_LABEL[$m]}" 'BEGIN {
			if (r >= t) printf "- %s: %.2f ≥ %.1f, met\n", l, r, t
			else printf "- %s: %.2f < %.1f, missed by %.0f%% (mugai would need %.0f%% more throughput)\n", l, r, t, (t - r) / t * 100, (t / r - 1) * 100 }'
	done
	if [[ -n $mem_line ]]; then
		echo
		echo "Memory: $mem_line"
	fi
}
