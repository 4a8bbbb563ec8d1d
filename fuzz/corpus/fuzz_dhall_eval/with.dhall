{ a = { b = 1 } } with a.c = "x"
