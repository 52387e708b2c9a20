BENCHMARKS: tuple = ()
