-- A small system in normal form: what `dhall normalize` makes of a system
-- written with dhall/Sigil/package.dhall (see web.dhall), and what
-- `sigil check` reads as it is, so its findings point at exact values: no
-- let, no imports, every type written out. A log server and two clients; the log
-- server's policies name both, so both uses are routed to it.
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
          , uses = [] : List { service : Text, label : Text, path : Optional Text }
          , roms = [] : List { name : Text, path : Optional Text, text : Optional Text, dhall : Optional Text }
          , mounts =
            [ { target = "/var/log", state = Some "log", tmpfs = None Natural, writable = True } ]
          , uplink = None { address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }
          , restart = < Never | OnFailure | Always >.Always
          }
        , web =
          { binary = "/usr/sbin/nginx"
          , args = [] : List Text
          , env = [] : List { mapKey : Text, mapValue : Text }
          , resources = { ram = 67108864, caps = 128 }
          , provides = [] : List { name : Text, policies : List { label : { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }, attributes : List { mapKey : Text, mapValue : Text } } }
          , uses = [ { service = "Log", label = "access", path = Some "/run/log.sock" } ]
          , roms = [ { name = "nginx.conf", path = Some "/etc/nginx/nginx.conf", text = None Text, dhall = None Text } ]
          , mounts =
            [ { target = "/var/cache/nginx", state = None Text, tmpfs = Some 8388608, writable = True } ]
          , uplink = Some
            { address = "10.0.2.15/24", forwards = [ { host = 8080, child = 80, proto = "tcp" } ] }
          , restart = < Never | OnFailure | Always >.OnFailure
          }
        , cron =
          { binary = "/usr/sbin/cron"
          , args = [] : List Text
          , env = [] : List { mapKey : Text, mapValue : Text }
          , resources = { ram = 8388608, caps = 32 }
          , provides = [] : List { name : Text, policies : List { label : { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }, attributes : List { mapKey : Text, mapValue : Text } } }
          , uses = [ { service = "Log", label = "", path = None Text } ]
          , roms = [] : List { name : Text, path : Optional Text, text : Optional Text, dhall : Optional Text }
          , mounts = [] : List { target : Text, state : Optional Text, tmpfs : Optional Natural, writable : Bool }
          , uplink = None { address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }
          , restart = < Never | OnFailure | Always >.OnFailure
          }
        }
    }
