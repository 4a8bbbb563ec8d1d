-- User accounts: Optional, List/filter, List/partition-style grouping,
-- Natural comparisons, Integer, escaping in generated text.
let List/filter = ./Prelude/List/filter.dhall

let List/map = ./Prelude/List/map.dhall

let List/any = ./Prelude/List/any.dhall

let List/null = ./Prelude/List/null.dhall

let Natural/greaterThanEqual = ./Prelude/Natural/greaterThanEqual.dhall

let Natural/equal = ./Prelude/Natural/equal.dhall

let Optional/map = ./Prelude/Optional/map.dhall

let Text/concatMapSep = ./Prelude/Text/concatMapSep.dhall

let Role = < Admin | Dev | Guest >

let User =
      { login : Text
      , uid : Natural
      , shell : Optional Text
      , role : Role
      , groups : List Text
      , quota_delta : Integer
      }

let users
    : List User
    = [ { login = "root", uid = 0, shell = Some "/bin/sh", role = Role.Admin, groups = [ "wheel" ], quota_delta = +0 }
      , { login = "alice", uid = 1000, shell = Some "/bin/zsh", role = Role.Dev, groups = [ "dev", "docker" ], quota_delta = +512 }
      , { login = "bob", uid = 1001, shell = None Text, role = Role.Dev, groups = [ "dev" ], quota_delta = -128 }
      , { login = "guest", uid = 65534, shell = None Text, role = Role.Guest, groups = [] : List Text, quota_delta = -1 }
      ]

let isHuman = λ(u : User) → Natural/greaterThanEqual u.uid 1000 && Natural/equal u.uid 65534 == False

let passwd =
      Text/concatMapSep
        "\n"
        User
        ( λ(u : User) →
            "${u.login}:x:${Natural/show u.uid}:${Natural/show u.uid}:\"${u.login}\"\t:/home/${u.login}:${merge { None = "/usr/sbin/nologin", Some = λ(s : Text) → s } u.shell}"
        )
        users

in  { humans = List/filter User isHuman users
    , shells = List/map User (Optional Text) (λ(u : User) → Optional/map Text Text (λ(s : Text) → s ++ " -l") u.shell) users
    , any_privileged = List/any User (λ(u : User) → merge { Admin = True, Dev = List/null Text u.groups == False, Guest = False } u.role) users
    , passwd
    , quota = List/map User Integer (λ(u : User) → Integer/negate u.quota_delta) users
    , unicode = "naïve café — ✓ \u{1F600} \\ \"quoted\" \u0001"
    }
