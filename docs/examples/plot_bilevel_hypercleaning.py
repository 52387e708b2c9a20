"""
Cleaning corrupted labels with ``bilevel-penalty``
==================================================

Data hyper-cleaning on scikit-learn's digits: half of the training labels are
replaced by random ones. The upper level learns one weight per training example
(how much to trust its label) so that a multinomial logistic regression trained
on the weighted data (the lower level) does well on a clean validation set.

The penalty method needs only gradients of the two levels. Implicit
differentiation (``bilevel-aid``) also needs Hessian-vector products of the
lower level. Both run here with the settings of the plugin's benchmark.
"""

from solverkit_bilevel.data_problems import accuracy, hyper_cleaning

import solverkit as sk

settings = {
    "bilevel-penalty": {"sigma": 0.1, "tol": 1e-6, "inner_tol_factor": 300.0,
                        "inner_solver": "apg", "shift_warm_start": True, "certify": False,
                        "max_iter": 25},
    "bilevel-aid": {"step": 1000.0, "max_iter": 50},
}
for method, options in settings.items():
    instance = hyper_cleaning(seed=0, corruption=0.5)  # the problem and its test split
    res = sk.solve(instance.problem, method=method, seed=0, **options)
    model = res.extra.get("z", res.extra["y"])  # the lower-level solution at the final x
    print(f"{method:16s} test accuracy {accuracy(instance, model):.3f}  "
          f"time {res.time:5.1f} s  gradient calls {res.extra['grad_calls']}  "
          f"Hessian-vector products {res.extra.get('hvp_calls', 0)}")
