-- A small system in normal form (what `dhall normalize` makes of a system
-- written with dhall/Sigil/package.dhall): a log server and two clients.
{ name = "hello"
, ram = 268435456
, caps = 1000
, children = toMap
    { log =
      { binary = "/usr/bin/logger"
      , args = [ "--stdout" ]
      , env = toMap { LANG = "C.UTF-8" }
      , resources = { ram = 16777216, caps = 64 }
      , provides =
        [ { name = "Log"
          , policies =
            [ { label = { exact = None Text, prefix = Some "web", suffix = None Text }
              , attributes = toMap { tag = "web" }
              }
            , { label = { exact = Some "cron", prefix = None Text, suffix = None Text }
              , attributes = [] : List { mapKey : Text, mapValue : Text }
              }
            ]
          }
        ]
      , mounts = [ { target = "/var/log", state = Some "log", tmpfs = None Natural, writable = True } ]
      , restart = < Never | OnFailure | Always >.Always
      }
    , web =
      { binary = "/usr/sbin/nginx"
      , resources = { ram = 67108864, caps = 128 }
      , uses = [ { service = "Log", label = "access", path = Some "/run/log.sock" } ]
      , mounts = [ { target = "/var/cache/nginx", state = None Text, tmpfs = Some 8388608, writable = True } ]
      , uplink = Some { address = "10.0.2.15/24", forwards = [ { host = 8080, child = 80, proto = "tcp" } ] }
      }
    , cron =
      { binary = "/usr/sbin/cron"
      , resources = { ram = 8388608, caps = 32 }
      , uses = [ { service = "Log", label = "", path = None Text } ]
      , restart = < Never | OnFailure | Always >.OnFailure
      }
    }
}
