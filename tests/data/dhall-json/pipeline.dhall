-- A CI pipeline: unions with record payloads, merge,
-- List/concatMap and List/filter.
let List/concatMap = ./Prelude/List/concatMap.dhall

let List/filter = ./Prelude/List/filter.dhall

let List/map = ./Prelude/List/map.dhall

let Step =
      < Checkout
      | Run : { name : Text, command : Text, timeout : Optional Natural }
      | Cache : { key : Text, paths : List Text }
      | Artifact : Text
      >

let Job = { name : Text, image : Text, steps : List Step, allow_failure : Bool }

let run =
      λ(name : Text) →
      λ(command : Text) →
        Step.Run { name, command, timeout = None Natural }

let matrix =
      [ { image = "debian:12", experimental = False }
      , { image = "alpine:3.19", experimental = False }
      , { image = "fedora:39", experimental = True }
      ]

let jobs =
      List/map
        { image : Text, experimental : Bool }
        Job
        ( λ(m : { image : Text, experimental : Bool }) →
            let image = m.image

            in  { name = "build-${image}"
            , image
            , steps =
              [ Step.Checkout
              , Step.Cache { key = "deps-${image}", paths = [ "~/.cache" ] }
              , run "build" "make -j2"
              , Step.Run { name = "test", command = "make check", timeout = Some 1800 }
              , Step.Artifact "build/bin/"
              ]
            , allow_failure = m.experimental
            }
        )
        matrix

let describe =
      λ(s : Step) →
        merge
          { Checkout = "checkout"
          , Run =
              λ(r : { name : Text, command : Text, timeout : Optional Natural }) →
                "run ${r.name}: ${r.command}"
          , Cache = λ(c : { key : Text, paths : List Text }) → "cache ${c.key}"
          , Artifact = λ(p : Text) → "keep ${p}"
          }
          s

let isRun = λ(s : Step) → merge { Checkout = False, Run = λ(_ : { name : Text, command : Text, timeout : Optional Natural }) → True, Cache = λ(_ : { key : Text, paths : List Text }) → False, Artifact = λ(_ : Text) → False } s

in  { jobs
    , summary =
        List/concatMap
          Job
          Text
          (λ(j : Job) → List/map Step Text describe j.steps)
          (List/filter Job (λ(j : Job) → j.allow_failure == False) jobs)
    , kinds = List/map Step Text (λ(s : Step) → merge { Checkout = "Checkout", Run = λ(_ : { name : Text, command : Text, timeout : Optional Natural }) → "Run", Cache = λ(_ : { key : Text, paths : List Text }) → "Cache", Artifact = λ(_ : Text) → "Artifact" } s) (List/concatMap Job Step (λ(j : Job) → j.steps) jobs)
    , run_steps =
        List/length Step (List/filter Step isRun (List/concatMap Job Step (λ(j : Job) → j.steps) jobs))
    }
