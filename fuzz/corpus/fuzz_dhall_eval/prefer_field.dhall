λ(r : { a : Natural }) → (r ⫽ { b = True }).a + 0
