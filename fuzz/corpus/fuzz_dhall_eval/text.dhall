Text/replace "a" "${Natural/show 1}" "banana" ++ Text/show "\n$"
