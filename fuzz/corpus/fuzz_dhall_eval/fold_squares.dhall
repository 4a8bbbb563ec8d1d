Natural/fold 100 Natural (λ(n : Natural) → n * n) 2
