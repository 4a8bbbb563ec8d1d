-- A key-value store: Debian's redis-server as one child with a 64 MiB
-- quota, its configuration a text ROM (/rom/redis.conf), its data on a state
-- mount (/data: every write appended and synced, so it outlives a reboot),
-- and an uplink whose forward makes it reachable at 127.0.0.1:16379 on the
-- host (docs/sigil-init.8).
--
--   SIGIL_REDIS=$PWD/build/pkg-cache/redis/usr/bin/redis-server sigil build \
--     -L build/pkg-cache/redis/usr/lib/x86_64-linux-gnu -o kv examples/kv.dhall
--   sigil run kv &
--   redis-cli -p 16379 ping
--
-- or as a VM (`make demo` does this): the forward listens on the VM's NIC,
-- which `sigil boot` reaches from the host's 127.0.0.1:
--
--   sigil image -o kv.img kv
--   sigil boot --forward 16379:16379 kv.img &
--   redis-cli -p 16379 ping
--
-- The binary is the one SIGIL_REDIS names (tests/t/sigil_kv.sh points it at
-- a redis-server unpacked from Debian's package), else /usr/bin/redis-server.
let Sigil = ../dhall/Sigil/package.dhall

let redis = env:SIGIL_REDIS as Text ? "/usr/bin/redis-server"

let conf =
      ''
      port 6379
      bind 0.0.0.0
      protected-mode no
      daemonize no
      save ""
      appendonly yes
      appendfsync always
      dir /data
      maxmemory 48mb
      maxmemory-policy allkeys-lru
      ''

in  Sigil.System::{
    , name = "kv"
    , ram = Sigil.units.MiB 128
    , children = toMap
        { redis = Sigil.Child::{
          , binary = redis
          , args = [ "/rom/redis.conf" ]
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 256 }
          , roms = [ Sigil.Rom::{ name = "redis.conf", text = Some conf } ]
          , mounts = [ Sigil.Mount::{ target = "/data", state = Some "redis" } ]
          , uplink = Some Sigil.Uplink::{
            , address = "10.0.2.15/24"
            , forwards = [ Sigil.Forward::{ host = 16379, child = 6379 } ]
            }
          , restart = Sigil.Restart.OnFailure
          }
        }
    }
