-- A component system in the style of Sigil's own: children with quotas,
-- services routed by unions, ROM modules, with Prelude helpers.
let List/map = ./Prelude/List/map.dhall

let List/concat = ./Prelude/List/concat.dhall

let List/null = ./Prelude/List/null.dhall

let Bool/not = ./Prelude/Bool/not.dhall

let Natural/sum = ./Prelude/Natural/sum.dhall

let Route = < Parent | Child : Text | Deny >

let Service = { name : Text, route : Route }

let Child =
      { name : Text
      , binary : Text
      , ram_mib : Natural
      , caps : Natural
      , services : List Service
      , roms : List Text
      , config : Optional Text
      }

let child =
      λ(name : Text) →
      λ(ram : Natural) →
        { name
        , binary = "/bin/${name}"
        , ram_mib = ram
        , caps = 100 + ram
        , services = [ { name = "LOG", route = Route.Parent } ]
        , roms = [ "ld.lib.so" ]
        , config = None Text
        }

let children
    : List Child
    = [ child "timer" 1
      , child "nic_drv" 8 ⫽ { roms = [ "ld.lib.so", "nic.fw" ] }
      , child "nic_router" 10
        ⫽ { services =
            [ { name = "Nic", route = Route.Child "nic_drv" }
            , { name = "Timer", route = Route.Child "timer" }
            ]
          , config = Some "<config verbose=\"no\"/>"
          }
      , child "shell" 32
        ⫽ { services = [ { name = "File_system", route = Route.Deny } ] }
      ]

let routed =
      λ(c : Child) →
        List/map
          Service
          { from : Text, service : Text, to : Text }
          ( λ(s : Service) →
              { from = c.name
              , service = s.name
              , to =
                  merge
                    { Parent = "parent", Child = λ(n : Text) → n, Deny = "(denied)" }
                    s.route
              }
          )
          c.services

in  { children
    , routes = List/concat { from : Text, service : Text, to : Text } (List/map Child (List { from : Text, service : Text, to : Text }) routed children)
    , ram_total = Natural/sum (List/map Child Natural (λ(c : Child) → c.ram_mib) children)
    , any_children = Bool/not (List/null Child children)
    }
