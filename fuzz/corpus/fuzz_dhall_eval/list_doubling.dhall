let d = λ(l : List Natural) → l # l in d (d (d (d (d (d (d (d (d (d (d (d (d (d (d (d (d (d (d (d [ 1 ]))))))))))))))))))))
