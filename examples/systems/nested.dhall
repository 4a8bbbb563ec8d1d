-- A nested init (docs/system.md, "Nested inits"): "shell" is an init of its
-- own, with a budget its two children share. Its "vfs" serves "bash" next
-- to it, and "bash" logs to "log" at the top: each server's policy names
-- the client as the server sees it ("bash" inside the shell, "shell -> bash"
-- from outside). `sigil check`, `sigil genode` (a <start> of binary "init"
-- with the children in its <config>) and `sigil graph` take it as it is.
let Sigil = ../../dhall/Sigil/package.dhall

let MiB = Sigil.units.MiB

in  Sigil.System::{
    , name = "nested"
    , ram = MiB 256
    , children =
          toMap
            { log = Sigil.Child::{
              , binary = "/bin/sh"
              , args = [ "-c", "exec cat > /dev/null" ]
              , resources = Sigil.Resources::{ ram = MiB 8, caps = 64 }
              , provides =
                [ Sigil.Service::{
                  , name = "Log"
                  , policies =
                    [ Sigil.Policy::{ label = Sigil.label.prefix "shell -> " } ]
                  }
                ]
              }
            }
        # Sigil.nest
            "shell"
            Sigil.Init::{
            , resources = Sigil.Resources::{ ram = MiB 64, caps = 256 }
            , children = toMap
                { vfs = Sigil.Child::{
                  , binary = "/bin/sh"
                  , args = [ "-c", "exec sleep 1" ]
                  , resources = Sigil.Resources::{ ram = MiB 16, caps = 64 }
                  , provides =
                    [ Sigil.Service::{
                      , name = "File_system"
                      , policies =
                        [ Sigil.Policy::{
                          , label = Sigil.label.exact "bash"
                          , attributes = toMap { root = "/home", writeable = "yes" }
                          }
                        ]
                      }
                    ]
                  }
                , bash = Sigil.Child::{
                  , binary = "/bin/sh"
                  , args = [ "-c", "ls -l /run" ]
                  , resources = Sigil.Resources::{ ram = MiB 16, caps = 64 }
                  , uses =
                    [ Sigil.Use::{ service = "File_system" }
                    , Sigil.Use::{ service = "Log", label = "history" }
                    ]
                  , restart = Sigil.Restart.Never
                  }
                }
            }
    }
