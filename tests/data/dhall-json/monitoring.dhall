-- A Prometheus-style monitoring configuration: toMap, Map helpers,
-- List/concatMap, numbers of every kind, nested optional records.
let Map/keys = ./Prelude/Map/keys.dhall

let Map/map = ./Prelude/Map/map.dhall

let List/concatMap = ./Prelude/List/concatMap.dhall

let List/map = ./Prelude/List/map.dhall

let Target = { host : Text, port : Natural }

let jobs =
      toMap
        { node = [ { host = "n1", port = 9100 }, { host = "n2", port = 9100 } ]
        , postgres = [ { host = "db", port = 9187 } ]
        , `blackbox-http` = [] : List Target
        }

let render = λ(t : Target) → "${t.host}:${Natural/show t.port}"

in  { global =
      { scrape_interval = "15s"
      , evaluation_interval = "30s"
      , external_labels = toMap { cluster = "eu-1", replica = "a" }
      }
    , scrape_configs =
        List/map
          { mapKey : Text, mapValue : List Target }
          { job_name : Text, static_configs : List { targets : List Text } }
          ( λ(j : { mapKey : Text, mapValue : List Target }) →
              { job_name = j.mapKey
              , static_configs = [ { targets = List/map Target Text render j.mapValue } ]
              }
          )
          jobs
    , job_names = Map/keys Text (List Target) jobs
    , target_counts = Map/map Text (List Target) Natural (List/length Target) jobs
    , all_targets =
        List/concatMap
          { mapKey : Text, mapValue : List Target }
          Text
          (λ(j : { mapKey : Text, mapValue : List Target }) → List/map Target Text render j.mapValue)
          jobs
    , thresholds =
      { cpu = 0.85
      , disk = 9.5e-2
      , latency_ms = 250
      , offset = -3
      , big = 18446744073709551615
      , tiny = 1.0e-10
      , neg = -2.5
      }
    , alerting = Some { alertmanagers = [ "am:9093" ] }
    , remote_write = None { url : Text }
    }
