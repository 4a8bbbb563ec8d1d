-- A web server that logs through a log server, written with Sigil's types
-- (dhall/Sigil/package.dhall): `sigil check examples/systems/web.dhall`.
let Sigil = ../../dhall/Sigil/package.dhall

in  Sigil.System::{
    , name = "web"
    , ram = Sigil.units.MiB 256
    , children = toMap
        { log = Sigil.Child::{
          , binary = "/usr/bin/logger"
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 16 }
          , provides =
            [ Sigil.Service::{
              , name = "Log"
              , policies =
                [ Sigil.Policy::{ label = Sigil.label.prefix "web" } ]
              }
            ]
          , mounts = [ Sigil.Mount::{ target = "/var/log", state = Some "log" } ]
          , restart = Sigil.Restart.Always
          }
        , web = Sigil.Child::{
          , binary = "/usr/sbin/nginx"
          , args = [ "-g", "daemon off;" ]
          , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 256 }
          , uses = [ Sigil.Use::{ service = "Log", label = "access" } ]
          , mounts =
            [ Sigil.Mount::{ target = "/var/cache/nginx", tmpfs = Some (Sigil.units.MiB 8) } ]
          , uplink = Some Sigil.Uplink::{
            , address = "10.0.2.15/24"
            , forwards = [ Sigil.Forward::{ host = 8080, child = 80 } ]
            }
          }
        }
    }
