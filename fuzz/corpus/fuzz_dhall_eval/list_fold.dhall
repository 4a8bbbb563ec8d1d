List/fold Bool [ True, False ] Bool (λ(x : Bool) → λ(y : Bool) → x && y) True
