λ(x : Natural) → 1 + True
