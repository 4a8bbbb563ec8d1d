let f = λ(x : Natural) → x * x in f (f 3)
