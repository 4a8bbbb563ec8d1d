merge { A = λ(n : Natural) → n + 1, B = 0 } (< A : Natural | B >.A 41)
