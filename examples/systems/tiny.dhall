-- The smallest system that runs on any Debian machine (tests/t/sigil_build.sh
-- builds it, tests/t/sigil_run.sh runs it): a shell that prints its text ROM
-- (builtins only: its closure is /bin/sh alone) and /bin/cat of its Dhall ROM.
-- In normal form (no let, no imports), so `sigil check` reads it directly.
{ name = "tiny"
, ram = 134217728
, caps = 400
, children = toMap
    { greeter =
      { binary = "/bin/sh"
      , args = [ "-c", "read -r line < /rom/greeting; echo \"$line\"" ]
      , env = toMap { LANG = "C.UTF-8" }
      , resources = { ram = 8388608, caps = 32 }
      , provides =
        [ { name = "Greeting"
          , policies =
            [ { label = { exact = Some "reader", prefix = None Text, suffix = None Text }
              , attributes = [] : List { mapKey : Text, mapValue : Text }
              }
            ]
          }
        ]
      , uses = [] : List { service : Text, label : Text, path : Optional Text }
      , roms =
        [ { name = "greeting", path = None Text, text = Some "hello from sigil\n", dhall = None Text }
        ]
      , mounts =
          [] : List
                 { target : Text, state : Optional Text, tmpfs : Optional Natural, writable : Bool }
      , uplink =
          None { address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }
      , restart = < Never | OnFailure | Always >.Never
      }
    , reader =
      { binary = "/bin/cat"
      , args = [ "-v", "/rom/config" ]
      , env = [] : List { mapKey : Text, mapValue : Text }
      , resources = { ram = 8388608, caps = 32 }
      , provides =
          [] : List
                 { name : Text
                 , policies :
                     List
                       { label : { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }
                       , attributes : List { mapKey : Text, mapValue : Text }
                       }
                 }
      , uses = [ { service = "Greeting", label = "", path = Some "/run/greeting" } ]
      , roms =
        [ { name = "config", path = None Text, text = None Text, dhall = Some "roms/tiny-config.dhall" } ]
      , mounts =
          [] : List
                 { target : Text, state : Optional Text, tmpfs : Optional Natural, writable : Bool }
      , uplink =
          None { address : Text, forwards : List { host : Natural, child : Natural, proto : Text } }
      , restart = < Never | OnFailure | Always >.OnFailure
      }
    }
}
