-- A Kubernetes-like deployment: record completion with defaults, toMap
-- labels, nested records, optional fields.
let Map = ./Prelude/Map/Type.dhall

let List/map = ./Prelude/List/map.dhall

let Container =
      { Type =
          { name : Text
          , image : Text
          , args : List Text
          , env : Map Text Text
          , cpu : Optional Text
          , memory : Optional Text
          , ports : List Natural
          }
      , default =
        { args = [] : List Text
        , env = [] : Map Text Text
        , cpu = None Text
        , memory = None Text
        , ports = [] : List Natural
        }
      }

let Deployment =
      { Type =
          { name : Text
          , replicas : Natural
          , labels : Map Text Text
          , containers : List Container.Type
          , strategy : < Recreate | RollingUpdate : { maxSurge : Natural } >
          }
      , default = { replicas = 1, labels = [] : Map Text Text }
      }

let app =
      λ(name : Text) →
      λ(image : Text) →
        Deployment::{
        , name
        , labels = toMap { app = name, tier = "backend" }
        , containers =
          [ Container::{
            , name
            , image
            , env = toMap { LOG_LEVEL = "info", APP_NAME = name }
            , ports = [ 8080 ]
            , memory = Some "256Mi"
            }
          , Container::{ name = "${name}-sidecar", image = "envoy:1.27", args = [ "--v=2" ] }
          ]
        , strategy =
            < Recreate | RollingUpdate : { maxSurge : Natural } >.RollingUpdate
              { maxSurge = 1 }
        }

let deployments =
      [ app "billing" "registry/billing:3.1"
      , app "search" "registry/search:0.9" ⫽ { replicas = 3 }
      , Deployment::{
        , name = "cron"
        , containers = [ Container::{ name = "cron", image = "busybox" } ]
        , strategy = < Recreate | RollingUpdate : { maxSurge : Natural } >.Recreate
        }
      ]

in  { apiVersion = "apps/v1"
    , items = deployments
    , names = List/map Deployment.Type Text (λ(d : Deployment.Type) → d.name) deployments
    }
