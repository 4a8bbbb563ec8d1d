-- Services of a small deployment: records of unions, Optional, List/map,
-- text templating.
let List/map = ./Prelude/List/map.dhall

let Natural/sum = ./Prelude/Natural/sum.dhall

let Protocol = < TCP | UDP | SCTP >

let Health = < None | Http : { path : Text, port : Natural } | Exec : List Text >

let Service =
      { name : Text
      , port : Natural
      , protocol : Protocol
      , replicas : Natural
      , health : Health
      , owner : Optional Text
      }

let mk =
      λ(name : Text) →
      λ(port : Natural) →
        { name
        , port
        , protocol = Protocol.TCP
        , replicas = 2
        , health = Health.Http { path = "/healthz", port }
        , owner = None Text
        }

let services
    : List Service
    = [ mk "web" 8080
      , mk "api" 9000 ⫽ { replicas = 4, owner = Some "team-api" }
      , mk "dns" 53 ⫽ { protocol = Protocol.UDP, health = Health.None }
      , mk "queue" 5672
        ⫽ { health = Health.Exec [ "rabbitmqctl", "status" ] }
      ]

in  { services
    , urls =
        List/map
          Service
          Text
          (λ(s : Service) → "http://${s.name}.internal:${Natural/show s.port}/")
          services
    , total_replicas =
        Natural/sum (List/map Service Natural (λ(s : Service) → s.replicas) services)
    }
