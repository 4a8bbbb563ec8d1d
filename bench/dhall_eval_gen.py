#!/usr/bin/env python3
"""bench/dhall_eval_gen.py OUTDIR PRELUDE — writes the Dhall evaluation
benchmark inputs (deterministic); PRELUDE is the Prelude directory (an
absolute path, imported locally):

  map.dhall       50,000 records built by Prelude.List.map over
                  Prelude.List.generate
  prelude.dhall   a small configuration importing the whole Prelude and
                  using a dozen of its functions; the whole Prelude is
                  prelude_pkg.dhall: package.dhall's record of every
                  sub-package but Date, Time and TimeZone, which use
                  builtins newer than the peer (dhall-to-json 1.7.6 fails
                  to parse them)
  let.dhall       a chain of 10,000 `let` bindings, each using the previous
  k8s.dhall       a dhall-kubernetes-sized configuration: a schema record
                  with a dozen optional fields and defaults, nested schemas,
                  5,000 `Container::{ … }` completions in Deployments
"""
import os
import sys

out, prelude = sys.argv[1], os.path.abspath(sys.argv[2])
os.makedirs(out, exist_ok=True)


def write(name, text):
    with open(os.path.join(out, name), "w") as f:
        f.write(text)


write("map.dhall", f"""let List/map = {prelude}/List/map.dhall
let List/generate = {prelude}/List/generate.dhall
let Service = {{ name : Text, id : Natural, port : Natural, tags : List Text, even : Bool }}
in  List/map
      Natural
      Service
      ( λ(i : Natural) →
          {{ name = "svc-${{Natural/show i}}"
          , id = i
          , port = i + 1000
          , tags = [ "tier-a", "id-${{Natural/show i}}" ]
          , even = Natural/even i
          }}
      )
      (List/generate 50000 Natural (λ(i : Natural) → i))
""")

subs = sorted(d for d in os.listdir(prelude)
              if os.path.isfile(os.path.join(prelude, d, "package.dhall"))
              and d not in ("Date", "Time", "TimeZone"))
write("prelude_pkg.dhall", "{ " + "\n, ".join(f"{d} = {prelude}/{d}/package.dhall" for d in subs) + "\n}\n")

write("prelude.dhall", f"""let P = ./prelude_pkg.dhall
let xs = P.List.generate 100 Natural (λ(i : Natural) → i)
in  {{ sum = P.Natural.sum xs
    , evens = P.List.length Natural (P.List.filter Natural P.Natural.even xs)
    , names = P.Text.concatMapSep ", " Natural P.Natural.show (P.List.take 10 Natural xs)
    , map = P.Map.keys Text Natural (toMap {{ a = 1, b = 2 }})
    , any = P.List.any Natural (P.Natural.equal 42) xs
    , opt = P.Optional.default Natural 7 (P.List.head Natural xs)
    , rev = P.List.reverse Natural (P.List.take 5 Natural xs)
    , json = P.JSON.render (P.JSON.object (toMap {{ x = P.JSON.natural 1, y = P.JSON.string "s" }}))
    }}
""")

n = 10000
lines = ["let x0 = 1"]
for i in range(1, n):
    if i % 3 == 0:
        lines.append(f"let x{i} = x{i - 1} + 1")
    elif i % 3 == 1:
        lines.append(f"let x{i} = x{i - 1} * 1")
    else:
        lines.append(f"let x{i} = Natural/subtract 0 x{i - 1}")
lines.append(f"in  {{ last = x{n - 1}, first = x0 }}")
write("let.dhall", "\n".join(lines) + "\n")

schema = """let Port = { Type = { containerPort : Natural, protocol : Text, name : Optional Text }
           , default = { protocol = "TCP", name = None Text }
           }
let Env = { Type = { name : Text, value : Optional Text }, default = { value = None Text } }
let Container =
      { Type =
          { name : Text
          , image : Text
          , imagePullPolicy : Text
          , command : List Text
          , args : List Text
          , workingDir : Optional Text
          , ports : List Port.Type
          , env : List Env.Type
          , stdin : Bool
          , tty : Bool
          , cpu : Optional Text
          , memory : Optional Text
          , terminationMessagePath : Text
          }
      , default =
          { imagePullPolicy = "IfNotPresent"
          , command = [] : List Text
          , args = [] : List Text
          , workingDir = None Text
          , ports = [] : List Port.Type
          , env = [] : List Env.Type
          , stdin = False
          , tty = False
          , cpu = None Text
          , memory = None Text
          , terminationMessagePath = "/dev/termination-log"
          }
      }
let Deployment =
      { Type = { name : Text, replicas : Natural, labels : List { mapKey : Text, mapValue : Text }, containers : List Container.Type }
      , default = { replicas = 1, labels = [] : List { mapKey : Text, mapValue : Text } }
      }
in  [
"""
deps = []
for d in range(500):
    cs = []
    for c in range(10):
        i = d * 10 + c
        extra = ""
        if i % 2 == 0:
            extra += f', ports = [ Port::{{ containerPort = {8000 + i % 1000} }} ]'
        if i % 3 == 0:
            extra += f', env = [ Env::{{ name = "ID", value = Some "{i}" }}, Env::{{ name = "MODE" }} ]'
        if i % 5 == 0:
            extra += ', cpu = Some "500m", memory = Some "128Mi"'
        cs.append(f'Container::{{ name = "c{i}", image = "registry/app-{i % 37}:1.{i % 11}"{extra} }}')
    deps.append(f'Deployment::{{ name = "dep{d}", replicas = {1 + d % 3}, labels = toMap {{ app = "dep{d}" }}, '
                f'containers = [ ' + ", ".join(cs) + ' ] }')
write("k8s.dhall", schema + "\n    , ".join("      " + x if i == 0 else x for i, x in enumerate(deps)) + "\n    ]\n")
