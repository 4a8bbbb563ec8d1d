#!/usr/bin/env bash
# sigil_import.sh — binaries as capabilities, end to end: `sigil import` of
# real programs (/bin/ls, python3 with its stdlib as extra files, Debian's
# redis-server and nginx, and a test program of ours with a $ORIGIN RUNPATH
# and a dlopen'd plugin), then `sigil exec` of them from a private /rom, with
# their output compared to the originals'. Also: every patched file names
# only URNs (readelf), determinism and the convergence secret, the manifest
# against the store, and tampered or missing blocks: with --eager (and
# --check) they stop exec before anything runs; with the default lazy /rom a
# block is verified when it is read, so blocks every start-up reads still
# stop the program before main, a bad block read later fails that read
# (EIO), and one never read does not matter — each failure naming the block
# and the file.
#
# redis-server and nginx come from Debian with `apt-get download` + `dpkg -x`
# into a cache under build/ (never installed, so no daemon starts); without
# network those checks skip. sigil exec needs root (unshare, mount).
. "$(dirname "$0")/tap.bash"
SIGIL=$SIGIL_BUILD/bin/sigil
DATA=$SIGIL_TOP/tests/data/elf
CACHE=$SIGIL_TOP/build/pkg-cache
cd "$T"

# ---- usage -----------------------------------------------------------------
"$SIGIL" --help > help.txt; ok $? "sigil --help"
grep -q '^  import' help.txt && grep -q '^  exec' help.txt; ok $? "lists import and exec"
"$SIGIL" import --help | grep -q -- '--extra'; ok $? "import --help documents --extra"
"$SIGIL" import /bin/ls 2>err; is $? 2 "import without a store is a usage error"
"$SIGIL" exec -s store 2>err; is $? 2 "exec without a urn is a usage error"
"$SIGIL" exec -s store urn:eris:NOPE 2>err; is $? 3 "exec of a missing store exits 3: $(cat err)"
"$SIGIL" import -s store -x '/etc/hosts=../x' /bin/ls 2>err; is $? 2 "an extra target with .. is refused: $(cat err)"
"$SIGIL" import -s store /etc/hosts 2>err; is $? 1 "a program that is not ELF is refused: $(cat err)"

if [ "$(id -u)" -ne 0 ]; then
	skip "not root" "sigil exec needs root (unshare, mount)"
	done_testing
	exit
fi

# readelf_check FILE: prints a complaint for each DT_NEEDED that is not a
# URN (or the dynamic linker's soname), a RUNPATH that is not /rom, any
# RPATH, or an interpreter outside /rom. Silent when the file is right.
readelf_check() {
	local f=$1
	readelf -d "$f" 2>/dev/null | awk -v f="$f" '
		/\(NEEDED\)/ { n = $0; sub(/.*\[/, "", n); sub(/\].*/, "", n)
			if (n !~ /^urn:eris:[A-Z2-7]+$/ && n != "ld-linux-x86-64.so.2") print f ": NEEDED " n }
		/\(RUNPATH\)/ { r = $0; sub(/.*\[/, "", r); sub(/\].*/, "", r); if (r != "/rom") print f ": RUNPATH " r; rp = 1 }
		/\(RPATH\)/ { print f ": has an RPATH" }
		/\(NEEDED\)/ { need = 1 }
		END { if (need && !rp) print f ": no RUNPATH" }'
	readelf -l "$f" 2>/dev/null | grep -o 'interpreter: [^]]*' | grep -v 'interpreter: /rom/urn:eris:' |
		sed "s|^|$f: |"
}
# files_of MANIFEST: every URN in it
urns_of() { grep -o 'urn:eris:[A-Z2-7]*' "$1" | sort -u; }

# ---- /bin/ls ---------------------------------------------------------------
mkdir -p tree/sub && echo hi > tree/a && ln -s a tree/link && touch -d @0 tree/a tree/sub
out=$("$SIGIL" import -s store -m ls.json /bin/ls); ok $? "import /bin/ls"
U_LS=${out%% *}
is "${out#*  }" "/bin/ls" "prints \"URN  PATH\""
"$SIGIL" exec -s store "$U_LS" -lA --time-style=+%s tree > ls.out 2> ls.err; ok $? "exec ls"
ls -lA --time-style=+%s tree > ls.want # -A: ".." is $T, whose mtime the test itself changes
cmp -s ls.out ls.want; ok $? "ls output is the original's"
"$SIGIL" exec -s store "$U_LS" --version | head -1 > v1; /bin/ls --version | head -1 > v2
cmp -s v1 v2; ok $? "options after the urn are the program's (--version)"
# the program runs in exec's own process: its exit status and its death by
# a signal are what the caller sees, lazy and eager alike
/bin/ls /nonexistent-sigil 2> /dev/null; want=$?
"$SIGIL" exec -s store "$U_LS" /nonexistent-sigil 2> /dev/null; is $? "$want" "exec: the program's exit status ($want)"
"$SIGIL" exec --eager -s store "$U_LS" /nonexistent-sigil 2> /dev/null; is $? "$want" "exec --eager: the program's exit status"
out=$("$SIGIL" import -s store /bin/dash); ok $? "import /bin/dash"
"$SIGIL" exec -s store "${out%% *}" -c 'kill -SEGV $$' 2> /dev/null; is $? 139 "exec: death by SIGSEGV is the program's (128 + 11)"
is "$(grep -c 'urn:eris:' ls.json)" 5 "manifest of ls: ls and 4 closure files"
grep -q '"/lib64/ld-linux-x86-64.so.2"' ls.json && grep -q '"/lib/x86_64-linux-gnu/libc.so.6"' ls.json
ok $? "the closure holds the interpreter and libc"
[ ! -e /rom ] || [ -z "$(ls -A /rom)" ]; ok $? "nothing of /rom leaks to the host namespace"

# ---- every patched file names its dependencies by URN only -----------------
mkdir got bad_ls
for u in $(urns_of ls.json); do "$ERIS" get -s store "$u" -o "got/$u" || echo "cannot get $u"; done > get.err
is "$(cat get.err)" "" "every manifest urn decodes from the store"
for f in got/*; do readelf_check "$f"; done > readelf.out
is "$(cat readelf.out)" "" "readelf -d: only urn DT_NEEDED, RUNPATH /rom, interpreter /rom/urn (ls closure)"
libc=$(grep '"/lib/x86_64-linux-gnu/libc.so.6"' ls.json | grep -o 'urn:eris:[A-Z2-7]*')
readelf -d "got/$libc" | grep -q 'NEEDED.*\[ld-linux-x86-64.so.2\]'
ok $? "libc keeps DT_NEEDED ld-linux-x86-64.so.2 (the dynamic-linker exception)"
ldso=$(grep '"/lib64/ld-linux-x86-64.so.2"' ls.json | grep -o 'urn:eris:[A-Z2-7]*')
cmp -s "got/$ldso" /lib64/ld-linux-x86-64.so.2; ok $? "the interpreter is stored unmodified"
readelf -l "got/$(grep -A1 '"/bin/ls"' ls.json | grep -o 'urn:eris:[A-Z2-7]*' | head -1)" |
	grep -q "interpreter: /rom/$ldso"; ok $? "ls's interpreter is /rom/<urn of ld.so>"

# ---- our program: $ORIGIN RUNPATH and a dlopen'd plugin --------------------
mkdir -p app/bin app/lib/plugins
cc -shared -fPIC -o app/lib/libgreet.so "$DATA/greet.c" &&
	cc -shared -fPIC -o app/lib/plugins/libplugin.so "$DATA/plugin.c" -Lapp/lib -lgreet \
		-Wl,--enable-new-dtags,-rpath,'$ORIGIN/..' &&
	cc -o app/bin/hello "$DATA/main.c" -Lapp/lib -lgreet -ldl \
		-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'
ok $? "build the test program (cc)"
ln -s plugins/libplugin.so app/lib/libplugin.so
readelf -d app/bin/hello | grep -q 'RUNPATH.*\$ORIGIN/../lib'; ok $? "it has RUNPATH \$ORIGIN/../lib"
app/bin/hello one two > hello.want; ok $? "the original runs"
sum_before=$(find app -type f -exec sha256sum {} + | sort)
out=$("$SIGIL" import -s store -m hello.json -x app/lib/plugins/libplugin.so app/bin/hello); ok $? "import it with --extra plugin"
U_HELLO=${out%% *}
"$SIGIL" exec -s store "$U_HELLO" one two > hello.out; ok $? "exec it"
cmp -s hello.out hello.want; ok $? "output identical (library via \$ORIGIN, plugin via dlopen)"
grep -q 'plugin says' hello.out; ok $? "the plugin ran"
is "$(find app -type f -exec sha256sum {} + | sort)" "$sum_before" "originals are not modified"
"$SIGIL" import -s store app/bin/hello > /dev/null 2>&1
u_noplug=$("$SIGIL" import -s store app/bin/hello | cut -d' ' -f1)
"$SIGIL" exec -s store "$u_noplug" > noplug.out; is $? 1 "without --extra the plugin is missing"
grep -q 'dlopen failed' noplug.out; ok $? "and dlopen says so (the host's copy is not found)"
cp -a app moved
out2=$("$SIGIL" import -s store -x moved/lib/plugins/libplugin.so moved/bin/hello | cut -d' ' -f1)
is "$out2" "$U_HELLO" "the same tree at another path gives the same urn"
mkdir got2
for u in $(urns_of hello.json); do "$ERIS" get -s store "$u" -o "got2/$u"; done
for f in got2/*; do readelf_check "$f"; done > readelf2.out
is "$(cat readelf2.out)" "" "readelf: the test program's closure (plugin included) names only urns"
plugin_urn=$(grep 'libplugin.so"' hello.json | grep -o 'urn:eris:[A-Z2-7]*')
greet_urn=$(grep 'libgreet.so"' hello.json | grep -o 'urn:eris:[A-Z2-7]*')
readelf -d "got2/$plugin_urn" | grep -q "NEEDED.*\[$greet_urn\]"; ok $? "the plugin needs libgreet by urn"

# ---- determinism, secret, manifest -----------------------------------------
"$SIGIL" import -s store2 -m hello2.json -x app/lib/plugins/libplugin.so app/bin/hello > again
is "$(cut -d' ' -f1 again)" "$U_HELLO" "importing twice gives the same urn"
cmp -s hello.json hello2.json; ok $? "and the same manifest"
head -c 32 /dev/urandom > secret
"$SIGIL" import -s store3 --secret-file secret -m hello3.json -x app/lib/plugins/libplugin.so app/bin/hello > other
[ "$(cut -d' ' -f1 other)" != "$U_HELLO" ]; ok $? "another convergence secret gives another urn"
[ -z "$(comm -12 <(urns_of hello.json) <(urns_of hello3.json))" ]; ok $? "and no file urn in common"
"$SIGIL" exec -s store3 "$(cut -d' ' -f1 other)" one two > hello3.out && cmp -s hello3.out hello.want
ok $? "which runs the same"
bad=0
for u in $(urns_of hello.json); do "$ERIS" verify -s store2 "$u" > /dev/null || bad=1; done
is "$bad" 0 "every manifest urn is complete in the store"
# the manifest's closure is exactly what the patched files name
for f in got2/*; do readelf -d "$f" | grep -o 'urn:eris:[A-Z2-7]*'; readelf -l "$f" | grep -o 'urn:eris:[A-Z2-7]*'; done |
	sort -u > named
urns_of hello.json > listed
comm -23 named listed > unlisted
is "$(cat unlisted)" "" "every urn a patched file names is in the manifest"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d), sorted(d)[0].endswith("/app/bin/hello"))' hello.json)" \
	"1 True" "the manifest is JSON in the original shape { path: { cap, closure } }"

# ---- tampered and missing blocks ---------------------------------------------
# --eager (and --check): every block of the closure is verified before the
# program runs, so any bad block stops exec (exit 1) before anything runs.
# By default /rom is served lazily: a block is verified when it is first
# read, a bad one fails that read (EIO) and the server names the block and
# the file. Blocks every start-up reads (the description, each file's root
# node, the first leaf of the program, its interpreter and libc) therefore
# still stop the program before main; a block only some run would read
# fails only the run that reads it (the data-file checks below).
out=$("$SIGIL" import -s pristine -m touch.json /usr/bin/touch | cut -d' ' -f1); ok $? "import touch"
"$SIGIL" exec -s pristine "$out" ran_ok; ok $? "exec touch runs"
[ -e ran_ok ]; ok $? "and touched its file"
"$SIGIL" exec --eager -s pristine "$out" ran_eager; ok $? "exec --eager touch runs"
[ -e ran_eager ]; ok $? "and touched its file"
mapfile -t blocks < <(find pristine -path '*/??/*' -type f | sort)
n=${#blocks[@]}
# flip DIR BLOCKFILE: a copy of store DIR as "damaged", one bit of BLOCKFILE flipped
flip() {
	rm -rf damaged; cp -a "$1" damaged
	victim=damaged/${2#"$1"/}
	ref=$(basename "$victim")
	chmod u+w "$victim"
	local b
	b=$(od -An -tu1 -j100 -N1 "$victim" | tr -d ' ')
	printf "\\$(printf '%03o' $(((b ^ 1) & 255)))" | dd of="$victim" bs=1 seek=100 conv=notrunc 2>/dev/null
}
# file_named ERRFILE: the file the error names
file_named() { grep -o 'of file "[^"]*"' "$1" | head -n 1 | sed 's/of file "//; s/"$//'; }
for k in 0 $((n / 3)) $((n / 2)) $((n - 1)); do
	flip pristine "${blocks[$k]}"
	"$SIGIL" exec --eager -s damaged "$out" "ran$k" 2> tamper.err; st=$?
	is "$st" 1 "--eager, block $k of $n flipped: exec refuses (exit 1)"
	[ ! -e "ran$k" ]; ok $? "--eager, block $k: nothing ran"
	grep -q "$ref" tamper.err; ok $? "--eager, block $k: the error names the block: $(head -c 300 tamper.err | tr '\n' ' ')"
	file=$(file_named tamper.err)
	if [ "${file#urn:eris:}" != "$file" ]; then
		"$ERIS" verify -s damaged "$file" > /dev/null 2>&1; is $? 1 "--eager, block $k: the file named holds it"
	else
		is "$file" "$out" "--eager, block $k: the file named is the closure description"
	fi
	"$SIGIL" exec --check -s damaged "$out" 2> /dev/null; is $? 1 "--check, block $k: refused"
	# lazy: the same block either is never read (the run is the pristine one's)
	# or fails the read that meets it, named
	"$SIGIL" exec -s damaged "$out" "lazy$k" 2> lazy.err; st=$?
	if [ "$st" -eq 0 ] && [ -e "lazy$k" ]; then
		! grep -q 'cannot \(read\|open\)' lazy.err || grep -q "$ref" lazy.err
		ok $? "lazy, block $k: ran (a report names only the flipped block: $(head -c 200 lazy.err | tr '\n' ' '))"
	else
		grep -q "$ref" lazy.err; ok $? "lazy, block $k: failed (exit $st), naming the block: $(head -c 300 lazy.err | tr '\n' ' ')"
	fi
done
rm -rf damaged; cp -a pristine damaged; rm -f "damaged/${blocks[$((n / 2))]#pristine/}"
"$SIGIL" exec --eager -s damaged "$out" ranm 2> missing.err; is $? 1 "--eager, a missing block: exec refuses"
grep -q 'missing block' missing.err && [ ! -e ranm ]; ok $? "says so, nothing ran: $(head -1 missing.err)"

# blocks of known position: a file's root node is the reference in its URN;
# leaf I of its content is found by encoding that chunk alone (ERIS is
# convergent: the same plaintext, block size and secret give the same block)
ref_of() { python3 -c 'import base64, sys
u = sys.argv[1][len("urn:eris:"):]
print(base64.b32encode(base64.b32decode(u + "=" * (-len(u) % 8))[2:34]).decode().rstrip("="))' "$1"; }
pad=$(ref_of "$("$ERIS" sum -b 32KiB /dev/null | cut -d' ' -f1)") # the all-padding leaf
block_file() { echo "$1/${2:0:2}/$2"; }
# leaf_of STORE PLAINFILE I: the block file in STORE of leaf I (32 KiB blocks)
leaf_of() {
	rm -rf chunkst; dd if="$2" of=chunk bs=32768 skip="$3" count=1 2>/dev/null
	"$ERIS" put -s chunkst -b 32KiB chunk > /dev/null || return 1
	for b in chunkst/??/*; do
		b=$(basename "$b")
		[ "$b" != "$pad" ] && [ -e "$(block_file "$1" "$b")" ] && block_file "$1" "$b"
	done
}
urn_of() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); v = list(d.values())[0]
print(v["cap"] if sys.argv[2] == "-" else v["closure"][sys.argv[2]])' "$1" "$2"; }
u_touch=$(urn_of touch.json -)
u_libc=$(urn_of touch.json /lib/x86_64-linux-gnu/libc.so.6)
u_ldso=$(urn_of touch.json /lib64/ld-linux-x86-64.so.2)
for u in "$u_touch" "$u_libc" "$u_ldso"; do "$ERIS" get -s pristine "$u" -o "plain.${u:9:8}"; done
victims=(
	"the description's root|$out|$(block_file pristine "$(ref_of "$out")")"
	"touch's root node|$u_touch|$(block_file pristine "$(ref_of "$u_touch")")"
	"touch's first leaf|$u_touch|$(leaf_of pristine "plain.${u_touch:9:8}" 0)"
	"ld.so's root node|$u_ldso|$(block_file pristine "$(ref_of "$u_ldso")")"
	"ld.so's first leaf|$u_ldso|$(leaf_of pristine "plain.${u_ldso:9:8}" 0)"
	"libc's root node|$u_libc|$(block_file pristine "$(ref_of "$u_libc")")"
	"libc's first leaf|$u_libc|$(leaf_of pristine "plain.${u_libc:9:8}" 0)"
	"libc's last leaf|$u_libc|$(leaf_of pristine "plain.${u_libc:9:8}" $(( ($(stat -c %s "plain.${u_libc:9:8}") ) / 32768 )))"
)
for v in "${victims[@]}"; do
	IFS='|' read -r what f bf <<< "$v"
	if [ ! -f "$bf" ]; then
		ok 1 "lazy, $what: its block is found in the store ($bf)"
		continue
	fi
	flip pristine "$bf"
	rm -f ranl
	"$SIGIL" exec -s damaged "$out" ranl 2> tamper.err; st=$?
	[ "$st" -ne 0 ] && [ ! -e ranl ]; ok $? "lazy, $what flipped: exec fails (exit $st), nothing ran"
	grep -q "$ref" tamper.err; ok $? "lazy, $what: the error names the block: $(head -c 300 tamper.err | tr '\n' ' ')"
	is "$(file_named tamper.err)" "$f" "lazy, $what: and the file"
done
rm -rf damaged; cp -a pristine damaged; rm -f "$(block_file damaged "$(ref_of "$u_libc")")"
"$SIGIL" exec -s damaged "$out" ranm 2> missing.err; st=$?
[ "$st" -ne 0 ] && [ ! -e ranm ] && grep -q 'missing block' missing.err
ok $? "lazy, libc's root missing: exec fails (exit $st), says so, nothing ran: $(head -1 missing.err)"

# a data file read at run time: only the blocks read are verified, every
# one of them is, and a bad one never reaches the program
head -c $((40 * 32768 + 1000)) /dev/urandom > data.bin
u_cat=$("$SIGIL" import -s datast -x data.bin=data /bin/cat | cut -d' ' -f1); ok $? "import cat with a 1.3 MB data file"
u_head=$("$SIGIL" import -s datast -x data.bin=data /usr/bin/head | cut -d' ' -f1); ok $? "import head with it"
"$SIGIL" exec -s datast "$u_cat" /rom/data > cat.out; ok $? "cat /rom/data"
cmp -s cat.out data.bin; ok $? "reads the file byte for byte"
bf=$(leaf_of datast data.bin 30)
[ -f "$bf" ]; ok $? "leaf 30 of the data file is found in the store"
flip datast "$bf"
"$SIGIL" exec -s damaged "$u_cat" /rom/data > cat.out 2> cat.err; st=$?
[ "$st" -ne 0 ]; ok $? "leaf 30 flipped: cat fails (exit $st)"
grep -q "Input/output error" cat.err && grep -q "$ref" cat.err && [ "$(file_named cat.err)" = data ]
ok $? "with EIO, the block and the file named: $(head -c 300 cat.err | tr '\n' ' ')"
[ "$(stat -c %s cat.out)" -le $((30 * 32768)) ] && cmp -s cat.out <(head -c "$(stat -c %s cat.out)" data.bin)
ok $? "what cat printed is the file's start, before the bad leaf ($(stat -c %s cat.out) bytes)"
"$SIGIL" exec -s damaged "$u_head" -c 1000 /rom/data > head.out 2> head.err; st=$?
is "$st" 0 "head -c 1000 of it runs: the bad leaf is never read"
cmp -s head.out <(head -c 1000 data.bin) && [ ! -s head.err ]; ok $? "byte for byte, nothing reported"
"$SIGIL" exec --eager -s damaged "$u_head" -c 1000 /rom/data > /dev/null 2> head.err; is $? 1 "--eager: the same run is refused"
grep -q "$ref" head.err; ok $? "naming the block"

# ---- python3 with its stdlib and lib-dynload as extras ---------------------
PY='import json, ssl; print(json.dumps({"k": [1, 2]}), ssl.OPENSSL_VERSION)'
out=$("$SIGIL" import -s store -m py.json -e PYTHONHOME=/rom -x /usr/lib/python3.11=lib/python3.11 /usr/bin/python3)
ok $? "import python3 with -x /usr/lib/python3.11=lib/python3.11 -e PYTHONHOME=/rom"
U_PY=${out%% *}
"$SIGIL" exec -s store "$U_PY" -c 'import json, ssl' > py0.out 2>&1; st=$?
/usr/bin/python3 -c 'import json, ssl' > py0.want 2>&1
is "$st" 0 "python3 -c 'import json, ssl' runs"
cmp -s py0.out py0.want; ok $? "with the original's output"
"$SIGIL" exec -s store "$U_PY" -c "$PY" > py.out 2>&1
/usr/bin/python3 -c "$PY" > py.want
cmp -s py.out py.want; ok $? "json and ssl work: $(cat py.out)"
where=$("$SIGIL" exec -s store "$U_PY" -c 'import sys, json, _ssl; print(sys.prefix, json.__file__, _ssl.__file__)')
is "$where" "/rom /rom/lib/python3.11/json/__init__.py /rom/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so" \
	"the stdlib and _ssl come from the verified /rom"
is "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(list(d.values())[0]["closure"]) > 300)' py.json)" True \
	"the python closure has hundreds of files"
mkdir got3
for u in $(urns_of py.json); do "$ERIS" get -s store "$u" -o "got3/$u" 2>/dev/null; done
for f in got3/*; do [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && readelf_check "$f"; done > readelf3.out
is "$(cat readelf3.out)" "" "readelf: every ELF of the python closure (lib-dynload too) names only urns"

# ---- redis-server and nginx from Debian (apt-get download, never installed) -
fetch() { # fetch DIR PACKAGE...: download and unpack once into $CACHE/DIR
	local d=$CACHE/$1; shift
	[ -e "$d/.done" ] && return 0
	mkdir -p "$d" && (cd "$d" && apt-get download "$@" >/dev/null 2>&1 &&
		for p in *.deb; do dpkg -x "$p" . || exit 1; done &&
		# only usr/ is needed; etc/init.d would also trip the Makefile's *.d include
		find . -mindepth 1 -maxdepth 1 ! -name usr ! -name '*.deb' -exec rm -rf {} +) &&
		touch "$d/.done"
}
if fetch redis redis-server redis-tools libjemalloc2 liblzf1; then
	R=$CACHE/redis
	L=$R/usr/lib/x86_64-linux-gnu
	LD_LIBRARY_PATH=$L "$R/usr/bin/redis-server" --version > redis.want 2>&1
	out=$("$SIGIL" import -s store -m redis.json -L "$L" "$R/usr/bin/redis-server"); ok $? "import redis-server (-L for the unpacked libjemalloc/liblzf)"
	"$SIGIL" exec -s store "${out%% *}" --version > redis.out 2>&1; ok $? "exec redis-server --version"
	cmp -s redis.out redis.want; ok $? "output identical: $(cat redis.out)"
	grep -q 'libjemalloc.so.2' redis.json; ok $? "the closure holds the unpacked libjemalloc"
else
	for i in 1 2 3 4; do skip "apt-get download redis-server failed (offline?)" "redis-server"; done
fi
# ---- "#!" scripts: the interpreter's closure, the "#!" line by URN ----------
printf '#!/bin/sh -e\necho "sh says: $*"\n' > s.sh
out=$("$SIGIL" import -s store -v s.sh 2> s.err); ok $? "import a #!/bin/sh script"
grep -q '/bin/sh\|/usr/bin/dash' s.err; ok $? "its closure holds the interpreter"
"$SIGIL" exec -s store "${out%% *}" a 'b c' > s.out 2>&1; is "$(cat s.out)" "sh says: a b c" "exec runs it through the verified interpreter"
surn=$(grep '/s.sh (script, #! patched)$' s.err | cut -d' ' -f1)
"$SIGIL_BUILD/bin/eris" get -s store "$surn" > s.stored 2>/dev/null
head -n 1 s.stored | grep -qE '^#!/rom/urn:eris:[A-Z0-9]{106} -e$'; ok $? "the stored #! line names the interpreter by URN, its argument kept: $(head -c 30 s.stored)…"
cmp -s <(tail -n +2 s.stored) <(tail -n +2 s.sh); ok $? "the rest of the script is byte for byte"
printf '#!/usr/bin/env sh\necho env-found\n' > e.sh
out=$("$SIGIL" import -s store e.sh 2> e.err); ok $? "#!/usr/bin/env NAME: NAME found on \$PATH"
"$SIGIL" exec -s store "${out%% *}" > e.out 2>&1; is "$(cat e.out)" env-found "and it runs"
printf '#!/no/such/interp\n' > n.sh
"$SIGIL" import -s store n.sh 2> n.err; is $? 1 "a script whose interpreter is missing is refused"
grep -q 'interpreter "/no/such/interp" of script' n.err; ok $? "naming it: $(cat n.err)"
printf '#!/bin/sh %0300d\n' 0 > long.sh
"$SIGIL" import -s store long.sh 2> long.err; is $? 1 "a #! line longer than the kernel reads is refused: $(cat long.err)"
if fetch nginx nginx; then
	N=$CACHE/nginx/usr/sbin/nginx
	"$N" -v > nginx.want 2>&1
	out=$("$SIGIL" import -s store "$N"); ok $? "import nginx"
	"$SIGIL" exec -s store "${out%% *}" -v > nginx.out 2>&1; ok $? "exec nginx -v"
	cmp -s nginx.out nginx.want; ok $? "output identical: $(cat nginx.out)"
else
	for i in 1 2 3; do skip "apt-get download nginx failed (offline?)" "nginx"; done
fi
done_testing
