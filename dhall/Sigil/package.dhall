{- Sigil's system types: what a system description is made of.

   A system is a record of children; each child runs one binary with its
   RAM and caps quota, provides services (with the policies that say which
   clients may use them), uses services (by name and session label), gets ROM
   modules under /rom, state and tmpfs mounts, and optionally an uplink.
   Routes are never written by the client: a use goes to the one server whose
   policy matches the client's label ("client" or "client -> label").

   Write children with record completion:

     let Sigil = ./dhall/Sigil/package.dhall
     in  Sigil.System::{
         , name = "hello"
         , ram = Sigil.units.MiB 256
         , caps = 1000
         , children = toMap
             { log = Sigil.Child::{
               , binary = "/usr/bin/logd"
               , resources = Sigil.Resources::{ ram = Sigil.units.MiB 16 }
               , provides =
                 [ Sigil.Service::{
                   , name = "Log"
                   , policies = [ Sigil.Policy::{ label = Sigil.label.prefix "web" } ]
                   }
                 ]
               }
             , web = Sigil.Child::{
               , binary = "/usr/sbin/nginx"
               , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64 }
               , uses = [ Sigil.Use::{ service = "Log", label = "access" } ]
               }
             }
         }

   A nested init is a child that is itself an init: `nest "shell" Init::{ … }`
   gives the entries "shell" (the init, whose resources are its children's
   budget) and "shell -> NAME" for each of its children; append them to the
   system's (or another init's) children with `#`:

       children = toMap { log = … } # Sigil.nest "shell" Sigil.Init::{
         , resources = Sigil.Resources::{ ram = Sigil.units.MiB 64, caps = 300 }
         , children = toMap { bash = …, vfs = … }
         }

   Services of the system's parent (the host sigil-init runs on) are listed
   in `parent`, each with the host's socket `path` and its policies, which
   name clients by their full label from the top:

       parent = [ Sigil.ParentService::{
                  , name = "Syslog", path = Some "/dev/log"
                  , policies = [ Sigil.Policy::{ label = Sigil.label.exact "web" } ]
                  } ]

   docs/system.md describes every field and every check `sigil check` makes.
-}
let Map = λ(v : Type) → List { mapKey : Text, mapValue : v }

let noAttributes = [] : Map Text

let units =
      { KiB = λ(n : Natural) → n * 1024
      , MiB = λ(n : Natural) → n * 1048576
      , GiB = λ(n : Natural) → n * 1073741824
      }

let Label =
      { Type =
          { exact : Optional Text, prefix : Optional Text, suffix : Optional Text }
      , default = { exact = None Text, prefix = None Text, suffix = None Text }
      }

let label =
      { exact = λ(t : Text) → Label::{ exact = Some t }
      , prefix = λ(t : Text) → Label::{ prefix = Some t }
      , suffix = λ(t : Text) → Label::{ suffix = Some t }
      }

let Policy =
      { Type = { label : Label.Type, attributes : Map Text }
      , default.attributes = noAttributes
      }

let Service =
      { Type = { name : Text, policies : List Policy.Type }
      , default.policies = [] : List Policy.Type
      }

let Use =
      { Type = { service : Text, label : Text, path : Optional Text }
      , default = { label = "", path = None Text }
      }

let Rom =
      { Type =
          { name : Text
          , path : Optional Text
          , text : Optional Text
          , dhall : Optional Text
          }
      , default = { path = None Text, text = None Text, dhall = None Text }
      }

let Mount =
      { Type =
          { target : Text
          , state : Optional Text
          , tmpfs : Optional Natural
          , writable : Bool
          }
      , default = { state = None Text, tmpfs = None Natural, writable = True }
      }

let Forward =
      { Type = { host : Natural, child : Natural, proto : Text }
      , default.proto = "tcp"
      }

let Uplink =
      { Type = { address : Text, forwards : List Forward.Type }
      , default.forwards = [] : List Forward.Type
      }

let Restart = < Never | OnFailure | Always >

let Readiness = < Simple | Forking | Notify >

let Command =
      { Type = { argv : List Text, argv0 : Optional Text, ignoreFailure : Bool }
      , default = { argv0 = None Text, ignoreFailure = False }
      }

let Resources =
      { Type = { ram : Natural, caps : Natural }
      , default = { ram = units.MiB 16, caps = 64 }
      }

let Child =
      { Type =
          { binary : Text
          , init : Bool
          , args : List Text
          , env : Map Text
          , resources : Resources.Type
          , provides : List Service.Type
          , uses : List Use.Type
          , roms : List Rom.Type
          , mounts : List Mount.Type
          , uplink : Optional Uplink.Type
          , restart : Restart
          , readiness : Readiness
          , pidFile : Optional Text
          , uid : Optional Natural
          , argv0 : Optional Text
          , cwd : Optional Text
          , restartDelay : Optional Natural
          , preStart : List Command.Type
          , postStart : List Command.Type
          , seccomp : List Text
          , capabilities : List Text
          , syscalls : Optional (List Text)
          }
      , default =
        { init = False
        , args = [] : List Text
        , env = noAttributes
        , resources = Resources.default
        , provides = [] : List Service.Type
        , uses = [] : List Use.Type
        , roms = [] : List Rom.Type
        , mounts = [] : List Mount.Type
        , uplink = None Uplink.Type
        , restart = Restart.OnFailure
        , readiness = Readiness.Simple
        , pidFile = None Text
        , uid = None Natural
        , argv0 = None Text
        , cwd = None Text
        , restartDelay = None Natural
        , preStart = [] : List Command.Type
        , postStart = [] : List Command.Type
        , seccomp = [] : List Text
        , capabilities = [] : List Text
        , syscalls = None (List Text)
        }
      }

let Init =
      { Type = { resources : Resources.Type, children : Map Child.Type }
      , default.resources = Resources.default
      }

let Entry = { mapKey : Text, mapValue : Child.Type }

let nest =
      λ(name : Text) →
      λ(init : Init.Type) →
          [ { mapKey = name
            , mapValue = Child::{ binary = "", init = True, resources = init.resources }
            }
          ]
        # List/fold
            Entry
            init.children
            (List Entry)
            ( λ(e : Entry) →
              λ(rest : List Entry) →
                [ e with mapKey = "${name} -> ${e.mapKey}" ] # rest
            )
            ([] : List Entry)

let ParentService =
      { Type = { name : Text, path : Optional Text, policies : List Policy.Type }
      , default = { path = None Text, policies = [] : List Policy.Type }
      }

let System =
      { Type =
          { name : Text
          , ram : Natural
          , caps : Natural
          , children : Map Child.Type
          , parent : List ParentService.Type
          }
      , default = { caps = 1000, parent = [] : List ParentService.Type }
      }

in  { System
    , Child
    , Resources
    , Service
    , Policy
    , Label
    , label
    , Use
    , Rom
    , Mount
    , Uplink
    , Forward
    , Restart
    , Init
    , nest
    , ParentService
    , Readiness
    , Command
    , units
    , Map
    }
