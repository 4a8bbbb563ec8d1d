-- An nginx configuration rendered as text from typed virtual hosts.
let Text/concatMapSep = ./Prelude/Text/concatMapSep.dhall

let Text/concatSep = ./Prelude/Text/concatSep.dhall

let Optional/default = ./Prelude/Optional/default.dhall

let Location = { path : Text, upstream : Text, websocket : Bool }

let VHost =
      { server_name : List Text
      , listen : Natural
      , tls : Optional { cert : Text, key : Text }
      , locations : List Location
      }

let renderLocation =
      λ(l : Location) →
        ''
          location ${l.path} {
            proxy_pass http://${l.upstream};
        ${if l.websocket then "    proxy_set_header Upgrade $http_upgrade;\n" else ""}  }
        ''

let renderTls =
      λ(t : Optional { cert : Text, key : Text }) →
        merge
          { None = ""
          , Some =
              λ(c : { cert : Text, key : Text }) →
                "  ssl_certificate ${c.cert};\n  ssl_certificate_key ${c.key};\n"
          }
          t

let renderHost =
      λ(h : VHost) →
        ''
        server {
          listen ${Natural/show h.listen};
          server_name ${Text/concatSep " " h.server_name};
        ${renderTls h.tls}${Text/concatMapSep "" Location renderLocation h.locations}}
        ''

let hosts =
      [ { server_name = [ "example.org", "www.example.org" ]
        , listen = 443
        , tls = Some { cert = "/etc/ssl/ex.pem", key = "/etc/ssl/ex.key" }
        , locations =
          [ { path = "/", upstream = "web:8080", websocket = False }
          , { path = "/ws", upstream = "chat:9000", websocket = True }
          ]
        }
      , { server_name = [ "internal.lan" ]
        , listen = 80
        , tls = None { cert : Text, key : Text }
        , locations = [ { path = "/", upstream = "intranet:80", websocket = False } ]
        }
      ]

in  { config = Text/concatMapSep "\n" VHost renderHost hosts
    , default_listen = Optional/default Natural 80 (None Natural)
    , host_count = List/length VHost hosts
    }
