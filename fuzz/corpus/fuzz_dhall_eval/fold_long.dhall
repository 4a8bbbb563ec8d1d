Natural/fold 1000000000 Natural (λ(n : Natural) → n + 1) 0
