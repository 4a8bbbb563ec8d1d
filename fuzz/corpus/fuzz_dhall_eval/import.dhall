./import.dhall
