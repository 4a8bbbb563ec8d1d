-- Documents built with the Prelude's JSON type and rendered to text by
-- JSON.render / JSON.renderCompact / JSON.renderYAML (heavy Prelude
-- evaluation), next to plain records and toMap with quoted keys.
let JSON = ./Prelude/JSON/package.dhall

let config =
      JSON.object
        ( toMap
            { name = JSON.string "widget"
            , version = JSON.natural 3
            , ratio = JSON.double 0.25
            , offset = JSON.integer -7
            , enabled = JSON.bool True
            , nothing = JSON.null
            , tags = JSON.array [ JSON.string "a", JSON.string "b\"c" ]
            , nested = JSON.object (toMap { depth = JSON.natural 2, empty = JSON.array ([] : List JSON.Type) })
            }
        )

in  { rendered = JSON.render config
    , yaml = JSON.renderYAML config
    , compact = JSON.renderCompact (JSON.array [ JSON.natural 1, JSON.null ])
    , plain = { a = 1, b = [ True, False ], c = Some "x", d = None Natural }
    , keyed = toMap { `key with spaces` = 1, `with-dash` = 2, `1st` = 3 }
    }
