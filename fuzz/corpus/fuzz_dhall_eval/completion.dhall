let T = { Type = { a : Natural, b : Bool }, default = { a = 1 } } in T::{ b = True }
