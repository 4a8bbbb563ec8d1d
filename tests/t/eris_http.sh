#!/usr/bin/env bash
# eris_http.sh — blocks over HTTP: `eris serve` and the http store, on
# 127.0.0.1 only. Put/get/verify through http://, the token rules for PUT,
# --read-only, decoded content with and without Range (against curl),
# wrk for 10 s (no error allowed), a chain dir:CACHE+http:// fetching a
# 200 MiB content (32 MiB in the sanitizer pass), and a tampering server
# (python3) whose bad block must fail the client, naming the block, without
# reaching the cache. Every server started here is killed on exit.
. "$(dirname "$0")/tap.bash"
cd "$T"

pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

have_curl=0
command -v curl >/dev/null && have_curl=1
# curl, never through a proxy, bounded in time
hcurl() { curl --noproxy '*' -s --max-time 60 "$@"; }

# serve NAME ARGS...: starts `eris serve ARGS --listen 127.0.0.1:0`, waits for
# its "listening on" line; sets $pid and $addr (empty when it did not start).
serve() {
	local name=$1
	shift
	"$ERIS" serve "$@" --listen 127.0.0.1:0 > "$name.out" 2> "$name.err" &
	pid=$!
	pids+=("$pid")
	addr=
	for _ in $(seq 200); do
		addr=$(sed -n 's/^listening on //p' "$name.out" 2>/dev/null)
		[ -n "$addr" ] && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > token
echo >> token
printf 'hello over http\n' > small
head -c 3000000 /dev/urandom > big
: > empty
us=$("$ERIS" put -s srv -b 1KiB small | cut -d' ' -f1)
ub=$("$ERIS" put -s srv -b 32KiB big | cut -d' ' -f1)
ue=$("$ERIS" put -s srv empty | cut -d' ' -f1)
size=$(wc -c < big | tr -d ' ')

# ---- the server, and the http store through the eris command --------------
serve main -s srv --token-file token
ok $? "eris serve starts and prints its address: listening on $addr"
case "$addr" in 127.0.0.1:[1-9]*) ok 0 "port 0 gave a real port ($addr)" ;; *) ok 1 "port 0 gave a real port ($addr)" ;; esac
U=http://$addr
"$ERIS" get -s "$U" "$ub" > got && cmp -s got big; ok $? "eris get -s http://… decodes a 3 MB content"
"$ERIS" get -s "$U" "$us" > got && cmp -s got small; ok $? "and a one-block content"
"$ERIS" get -s "$U/" "$ub" --range 1000000:5000 > part
tail -c +1000001 big | head -c 5000 | cmp -s - part; ok $? "a range through http://ADDR/ (trailing slash)"
"$ERIS" verify -s "$U" "$ub" > /dev/null; ok $? "eris verify -s http://…"

head -c 70000 /dev/urandom > new
un=$("$ERIS" sum new | cut -d' ' -f1)
env -u SIGIL_STORE_TOKEN -u SIGIL_STORE_TOKEN_FILE "$ERIS" put -s "$U" new > /dev/null 2> err
is $? 3 "put without a token exits 3"
grep -q 'HTTP 401.*SIGIL_STORE_TOKEN' err; ok $? "saying which token is missing: $(cat err)"
SIGIL_STORE_TOKEN=wrong "$ERIS" put -s "$U" new > /dev/null 2> err
is $? 3 "put with a wrong token exits 3"
grep -q 'HTTP 403: wrong token' err; ok $? "refused by the server: $(cat err)"
out=$(SIGIL_STORE_TOKEN_FILE=$T/token "$ERIS" put -s "$U" new | cut -d' ' -f1)
is "$out" "$un" "put with SIGIL_STORE_TOKEN_FILE stores the content (same urn as sum)"
"$ERIS" get -s srv "$un" > got 2>/dev/null && cmp -s got new; ok $? "and the blocks are in the server's store"
head -c 5000 /dev/urandom > new2
SIGIL_STORE_TOKEN=$(head -n 1 token) "$ERIS" put -s "$U" new2 > /dev/null; ok $? "SIGIL_STORE_TOKEN works too"
"$ERIS" get -s "http://127.0.0.1:1" "$ub" > /dev/null 2> err; is $? 3 "a server that is not there: exit 3"
grep -q 'http://127.0.0.1:1/uri-res/N2R?urn:blake2b:' err; ok $? "naming the url: $(cat err)"

# ---- the protocol, with curl -------------------------------------------------
if [ "$have_curl" = 1 ]; then
	blk=$(find srv -path '*/??/*' -type f -size 1k | head -n 1)
	ref=$(basename "$blk")
	B="$U/uri-res/N2R?urn:blake2b:"
	code=$(hcurl -o got -w '%{http_code} %{content_type}' "$B$ref")
	is "$code" "200 application/octet-stream" "GET a block: 200, application/octet-stream"
	cmp -s got "$blk"; ok $? "with the block's bytes"
	hcurl -I "$B$ref" > head
	grep -q '^HTTP/1.1 200' head && grep -qi '^Content-Length: 1024' head; ok $? "HEAD a block: 200, Content-Length 1024"
	hcurl -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' "$B$ref" "$B$ref" "$B$ref" > codes
	is "$(tr '\n' ' ' < codes)" "200 1 200 0 200 0 " "three requests on one kept-alive connection"
	is "$(hcurl -o /dev/null -w '%{http_code}' "$U/uri-res/N2R?urn%3Ablake2b%3A$ref")" 200 "a percent-encoded query works"
	absent=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
	is "$(hcurl -o /dev/null -w '%{http_code}' "$B$absent")" 404 "an absent block: 404"
	is "$(hcurl -o /dev/null -w '%{http_code}' "${B}ABC")" 400 "a short reference: 400"
	lower=$(echo "$ref" | tr 'A-Z' 'a-z')
	is "$(hcurl -o /dev/null -w '%{http_code}' "$B$lower")" 400 "a lower-case reference: 400"
	is "$(hcurl -o /dev/null -w '%{http_code}' "$U/uri-res/N2R?urn:sha1:X")" 400 "another urn: 400"
	is "$(hcurl -o /dev/null -w '%{http_code}' "$U/blocks/$ref")" 404 "another path: 404"
	is "$(hcurl -o /dev/null -w '%{http_code}' -X DELETE "$B$ref")" 405 "DELETE: 405"

	# PUT: the token, the body
	head -c 1024 /dev/urandom > nb
	nref=$(python3 -c 'import base64,hashlib,sys; print(base64.b32encode(hashlib.blake2b(open(sys.argv[1],"rb").read(), digest_size=32).digest()).decode().rstrip("="))' nb)
	put() { hcurl -o /dev/null -w '%{http_code}' -X PUT --data-binary "@$1" "${@:3}" "$B$2"; }
	is "$(put nb "$nref")" 401 "PUT without a token: 401"
	is "$(put nb "$nref" -H 'Authorization: Bearer nope')" 403 "PUT with a wrong token: 403"
	is "$(put nb "$nref" -H "Authorization: Basic $(head -n 1 token)")" 401 "PUT with another scheme: 401"
	tk="Authorization: Bearer $(head -n 1 token)"
	head -c 1000 nb > nb-short
	is "$(put nb-short "$nref" -H "$tk")" 400 "PUT of 1000 bytes: 400"
	head -c 1024 /dev/urandom > other
	is "$(put other "$nref" -H "$tk")" 400 "PUT of a body that does not hash to the reference: 400"
	head -c 40000 /dev/urandom > huge
	is "$(put huge "$nref" -H "$tk")" 413 "PUT of 40000 bytes: 413"
	is "$(put nb "$nref" -H "$tk")" 201 "PUT with the token: 201"
	hcurl -o got "$B$nref" && cmp -s got nb; ok $? "and the block can be read back"
	is "$(put nb "$nref" -H "$tk")" 201 "PUT of a block already there: 201"
	is "$(hcurl -o /dev/null -w '%{http_code}' -X PUT --data-binary @nb -H "$tk" "$U/uri-res/N2R?$ub")" 405 \
		"PUT of content (urn:eris): 405"

	# decoded content
	C="$U/uri-res/N2R?"
	code=$(hcurl -o got -w '%{http_code}' "$C$ub")
	is "$code" 200 "GET ?urn:eris:…: 200"
	cmp -s got big; ok $? "the decoded content, identical to the file"
	"$ERIS" get -s srv "$ub" | cmp -s - got; ok $? "and to eris get"
	hcurl -I "$C$ub" > head
	grep -qi "^Content-Length: $size" head && grep -qi '^Accept-Ranges: bytes' head
	ok $? "HEAD: Content-Length $size, Accept-Ranges: bytes"
	code=$(hcurl -o got -D head -w '%{http_code}' -H 'Range: bytes=1000-1999' "$C$ub")
	is "$code" 206 "Range: bytes=1000-1999 gives 206"
	grep -qi "^Content-Range: bytes 1000-1999/$size" head; ok $? "with Content-Range: bytes 1000-1999/$size"
	"$ERIS" get -s srv "$ub" --range 1000:1000 | cmp -s - got; ok $? "the same bytes as eris get --range 1000:1000"
	hcurl -o got -r 32760-98310 "$C$ub"
	tail -c +32761 big | head -c 65551 | cmp -s - got; ok $? "a range across block boundaries (curl -r 32760-98310)"
	hcurl -o got -H 'Range: bytes=-100' "$C$ub"
	tail -c 100 big | cmp -s - got; ok $? "bytes=-100: the last 100 bytes"
	hcurl -o got -H "Range: bytes=$((size - 10))-" "$C$ub"
	tail -c 10 big | cmp -s - got; ok $? "bytes=N-: to the end"
	hcurl -o got -H "Range: bytes=100-$((size * 2))" "$C$ub"
	tail -c +101 big | cmp -s - got; ok $? "a range past the end is cut at the end"
	code=$(hcurl -o /dev/null -D head -w '%{http_code}' -H "Range: bytes=$size-" "$C$ub")
	is "$code" 416 "a range starting at the end: 416"
	grep -qi "^Content-Range: bytes \*/$size" head; ok $? "with Content-Range: bytes */$size"
	code=$(hcurl -o got -w '%{http_code}' -H 'Range: bytes=0-1,5-9' "$C$ub")
	[ "$code" = 200 ] && cmp -s got big; ok $? "several ranges are ignored: the whole content, 200"
	hcurl -o got "$C$us" && cmp -s got small; ok $? "a one-block content"
	code=$(hcurl -o got -w '%{http_code}' "$C$ue")
	[ "$code" = 200 ] && [ ! -s got ]; ok $? "the empty content: 200, no bytes"
	cut=$("$ERIS" sum new2 | cut -d' ' -f1)
	is "$(hcurl -o /dev/null -w '%{http_code}' "$C${cut%?}")" 400 "a capability that does not parse: 400"
	head -c 9999 /dev/urandom > never
	is "$(hcurl -o /dev/null -w '%{http_code}' "$C$("$ERIS" sum never | cut -d' ' -f1)")" 404 \
		"content that is not in the store: 404"
	grep -q 'DELETE .*405' main.err; ok $? "the server logs one line per refused request"
else
	skip "curl is not installed" "the http protocol checked with curl"
fi

# ---- read-only, no token, refusing to listen outside loopback ---------------
serve ro -s srv --read-only --token-file token
ok $? "a --read-only server starts"
SIGIL_STORE_TOKEN_FILE=$T/token "$ERIS" put -s "http://$addr" new2 > /dev/null 2> err
is $? 3 "put to a --read-only server exits 3"
grep -q 'HTTP 405: this server is read-only' err; ok $? "saying so: $(cat err)"
if [ "$have_curl" = 1 ]; then
	is "$(hcurl -o /dev/null -w '%{http_code}' -X PUT --data-binary @nb -H "$tk" "http://$addr/uri-res/N2R?urn:blake2b:$nref")" \
		405 "PUT to a --read-only server with the token: 405"
fi
kill "$pid"
serve nt -s srv
ok $? "a server without --token-file starts"
SIGIL_STORE_TOKEN_FILE=$T/token "$ERIS" put -s "http://$addr" new2 > /dev/null 2> err
is $? 3 "it takes no puts, whatever the token"
grep -q 'HTTP 403: this server takes no writes' err; ok $? "saying why: $(cat err)"
kill "$pid"

# ---- a pack served read-only: one mapped handle per thread -------------------
"$ERIS" put -s pack:srv.pack -b 32KiB big > /dev/null && "$ERIS" put -s pack:srv.pack small > /dev/null
ok $? "the contents put into a pack too"
serve pk -s pack:srv.pack -j 3
ok $? "a server of the pack with 3 threads starts"
"$ERIS" get -s "http://$addr" "$ub" > got && cmp -s got big; ok $? "it serves the 3 MB content (blocks fetched in parallel)"
pids_get=()
for i in 1 2 3 4; do
	"$ERIS" get -s "http://$addr" "$ub" > "got$i" 2> "err$i" & pids_get+=($!)
done
fails=0
for i in 1 2 3 4; do
	wait "${pids_get[$((i - 1))]}" && cmp -s "got$i" big || fails=$((fails + 1))
done
is "$fails" 0 "four clients at once all get the content whole"
"$ERIS" get -s "http://$addr" "$us" > got && cmp -s got small; ok $? "and the one-block content"
kill "$pid"
"$ERIS" serve -s srv --listen 0.0.0.0:0 > out 2> err; is $? 2 "--listen 0.0.0.0:0 is refused without --public"
grep -q 'not a loopback address' err; ok $? "saying why: $(cat err)"
[ ! -s out ]; ok $? "and nothing listened"
"$ERIS" serve -s srv --listen nonsense 2> err; is $? 2 "a malformed --listen is a usage error: $(cat err)"
"$ERIS" serve -s nostore --listen 127.0.0.1:0 2> err; is $? 3 "a missing store exits 3: $(cat err)"
"$ERIS" serve -s srv --listen 127.0.0.1:0 --token-file nofile 2> err; is $? 3 "a missing token file exits 3"
: > emptytoken
"$ERIS" serve -s srv --listen 127.0.0.1:0 --token-file emptytoken 2> err; is $? 2 "an empty token file is refused"

# ---- wrk for 10 s -----------------------------------------------------------------
if command -v wrk >/dev/null; then
	find srv -path '*/??/*' -type f | sed 's|.*/||' | head -n 1000 > names
	cat > rotate.lua <<'EOF'
local names = {}
for line in io.lines(os.getenv("NAMES")) do names[#names + 1] = line end
local i = 0
request = function()
  i = i % #names + 1
  return wrk.format("GET", "/uri-res/N2R?urn:blake2b:" .. names[i])
end
EOF
	NAMES=$T/names wrk -t2 -c16 -d10s -s rotate.lua "$U" > wrk.out 2>&1
	ok $? "wrk -t2 -c16 -d10s runs against eris serve (1,000 blocks of 1 and 32 KiB in turn)"
	rps=$(awk '/^Requests\/sec:/ {print $2}' wrk.out)
	n=$(awk '/requests in/ {print $1}' wrk.out)
	[ -n "$n" ] && [ "$n" -gt 0 ]; ok $? "wrk: $n requests, ${rps:-?} requests/s"
	grep -qE 'Non-2xx|Socket errors' wrk.out; is $? 1 "wrk: no non-2xx answer, no socket error $(grep -E 'Non-2xx|Socket errors' wrk.out | tr -s ' ')"
	"$ERIS" get -s "$U" "$ub" | cmp -s - big; ok $? "the server still answers correctly after the load"
else
	skip "wrk is not installed" "wrk against eris serve"
fi

# SIGTERM stops the main server cleanly
kill "${pids[0]}"
wait "${pids[0]}"; is $? 0 "eris serve exits 0 on SIGTERM"
"$ERIS" get -s "$U" "$us" > /dev/null 2>&1; is $? 3 "and no longer answers"

# ---- a chain dir:CACHE+http:// fetching a large content ------------------------
if [ "${SIGIL_SAN:-}" = 1 ]; then mib=32; else mib=200; fi
serve bigsrv -s mem: --token-file token
ok $? "a mem: server for the large content"
head -c $((mib * 1024 * 1024)) /dev/urandom > large
t0=$(date +%s.%N)
ul=$(SIGIL_STORE_TOKEN_FILE=$T/token "$ERIS" put -s "http://$addr" -b 32KiB large | cut -d' ' -f1)
t1=$(date +%s.%N)
[ -n "$ul" ]; ok $? "$mib MiB put through http:// in $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s"
t0=$(date +%s.%N)
"$ERIS" get -s "dir:$T/cache+http://$addr" "$ul" -o large.out; s=$?
t1=$(date +%s.%N)
secs=$(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}')
rate=$(echo "$mib $secs" | awk '{printf "%.0f", ($2 > 0 ? $1 / $2 : 0)}')
ok $s "eris get -s dir:CACHE+http:// of $mib MiB$([ "$mib" = 32 ] && echo ' (sanitizer pass: 200 MiB otherwise)') in $secs s ($rate MiB/s)"
cmp -s large.out large; ok $? "decodes byte-identically"
awk -v s="$secs" 'BEGIN {exit !(s < 120)}'; ok $? "within 120 s ($secs s)"
n=$(find cache -path '*/??/*' -type f | wc -l | tr -d ' ')
[ "$n" -ge $((mib * 32)) ]; ok $? "the cache holds the tree's $n blocks"
if "$ERIS" help fetch > /dev/null 2>&1; then
	t0=$(date +%s.%N)
	"$ERIS" fetch -s cache2 -f "http://$addr" "$ul" > fetch.out; s=$?
	t1=$(date +%s.%N)
	ok $s "eris fetch of $mib MiB in $(echo "$t1 $t0" | awk '{printf "%.1f", $1 - $2}') s: $(cat fetch.out)"
else
	skip "eris fetch is not in this build's command table" "eris fetch of $mib MiB"
fi
kill "$pid"
wait "$pid"
"$ERIS" get -s cache "$ul" | cmp -s - large; ok $? "with the server gone, the cache alone decodes it"
rm -f large large.out

# ---- a tampering server ----------------------------------------------------------
"$ERIS" put -s tsrv -b 32KiB big > /dev/null
victim=$(find tsrv -path '*/??/*' -type f | sort | sed -n 5p | sed 's|.*/||')
cat > tamper.py <<'EOF'
# serves the blocks of a dir store, damaging the one named on the command
# line as the file "mode" says: flip (one bit), error (500), huge (40000 bytes)
import http.server, os, sys
root, victim, modefile = sys.argv[1], sys.argv[2], sys.argv[3]
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *args):
        pass
    def answer(self, code, data):
        self.send_response(code)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
    def do_GET(self):
        path, _, q = self.path.partition("?")
        ref = q[len("urn:blake2b:"):] if q.startswith("urn:blake2b:") else ""
        f = os.path.join(root, ref[:2], ref)
        if path != "/uri-res/N2R" or len(ref) != 52 or not os.path.isfile(f):
            return self.answer(404, b"")
        data = bytearray(open(f, "rb").read())
        if ref == victim:
            mode = open(modefile).read().strip()
            if mode == "flip":
                data[len(data) // 2] ^= 1
            elif mode == "error":
                return self.answer(500, b"oops")
            elif mode == "huge":
                data += bytes(40000 - len(data))
        self.answer(200, bytes(data))
    do_HEAD = do_GET
s = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print("listening on 127.0.0.1:%d" % s.server_address[1], flush=True)
s.serve_forever()
EOF
echo flip > mode
python3 tamper.py tsrv "$victim" mode > tamper.out 2> tamper.err &
tpid=$!
pids+=("$tpid")
taddr=
for _ in $(seq 200); do
	taddr=$(sed -n 's/^listening on //p' tamper.out 2>/dev/null)
	[ -n "$taddr" ] && break
	sleep 0.05
done
[ -n "$taddr" ]; ok $? "a tampering server (python3) listens on $taddr, damaging block $victim"
"$ERIS" get -s "http://$taddr" "$ub" > /dev/null 2> err; is $? 1 "eris get from it exits 1"
grep -q "$victim" err && grep -qE 'does not (hash to|match) its reference' err
ok $? "naming the block: $(cat err)"
"$ERIS" get -s "dir:$T/tcache+http://$taddr" "$ub" -o tout 2> err; is $? 1 "through a chain too"
grep -q "$victim" err; ok $? "naming the block: $(cat err)"
[ ! -e tout ]; ok $? "no output file"
[ ! -e "tcache/${victim:0:2}/$victim" ]; ok $? "the bad block never reaches the cache"
"$ERIS" verify -s "http://$taddr" "$ub" > /dev/null 2>&1; is $? 1 "eris verify exits 1"
if "$ERIS" help fetch > /dev/null 2>&1; then
	"$ERIS" fetch -s tc2 -f "http://$taddr" "$ub" > /dev/null 2> err; is $? 1 "eris fetch exits 1"
	grep -q "$victim" err && [ ! -e "tc2/${victim:0:2}/$victim" ]; ok $? "naming it, and not storing it: $(cat err)"
else
	skip "eris fetch is not in this build's command table" "eris fetch from a tampering server"
fi
echo error > mode
"$ERIS" get -s "http://$taddr" "$ub" > /dev/null 2> err; is $? 3 "a server answering 500 exits 3"
grep -q "HTTP 500" err && grep -q "http://$taddr/uri-res/N2R?urn:blake2b:$victim" err
ok $? "naming the url and the status: $(cat err)"
echo huge > mode
"$ERIS" get -s "http://$taddr" "$ub" > /dev/null 2> err; is $? 1 "a block of 40000 bytes exits 1"
grep -q "$victim" err; ok $? "naming it: $(cat err)"
echo none > mode
"$ERIS" get -s "http://$taddr" "$ub" | cmp -s - big; ok $? "the same server without damage decodes fine"
done_testing
