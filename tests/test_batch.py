"""solve_many in process, on a process pool and on a real Dask LocalCluster.

These use the example third-party plugin, installed into the test environment,
because out-of-process workers rebuild the solver from their own registry.
"""

from concurrent.futures import ProcessPoolExecutor

import numpy as np

import solverkit as sk


def _problems():
    probs = [sk.TuckerRank.example(seed=s) for s in range(4)]
    probs.insert(2, "not a problem")  # fails: must come back as a failed Result, in place
    return probs


def _check(results):
    assert len(results) == 5
    assert [r.success for r in results] == [True, True, False, True, True]
    assert results[2].status is sk.Status.ERROR and "ProblemKindError" in results[2].message
    for r in results[:2] + results[3:]:
        assert r.solver == "example-svgreedy" and r.x == (4, 3, 5)


def test_in_process():
    results = sk.solve_many(_problems(), "example-svgreedy", seed=0)
    _check(results)


def test_child_seeds_are_spawned(monkeypatch):
    import solverkit.api

    seeds = []
    real = solverkit.api.solve

    def spy(problem, method=None, **options):
        seeds.append(options["seed"])
        return real(problem, method, **options)

    monkeypatch.setattr(solverkit.api, "solve", spy)
    sk.solve_many([sk.TuckerRank.example()] * 3, "example-svgreedy", seed=3)
    expected = np.random.SeedSequence(3).spawn(3)
    assert [s.spawn_key for s in seeds] == [e.spawn_key for e in expected]
    assert all(s.entropy == 3 for s in seeds)


def test_process_pool():
    with ProcessPoolExecutor(max_workers=2) as pool:
        _check(sk.solve_many(_problems(), "example-svgreedy", executor=pool, seed=0))


def test_dask_local_cluster():
    import distributed  # the core test env installs solverkit[dask]

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        results = sk.solve_many(_problems(), "example-svgreedy",
                                executor=client.get_executor(pure=False), seed=0)
    _check(results)
