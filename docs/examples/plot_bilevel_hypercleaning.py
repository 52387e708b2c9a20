"""
Cleaning corrupted labels with ``bilevel-penalty``
==================================================

Data hyper-cleaning on scikit-learn's digits: half of the training labels are
replaced by random ones. The upper level learns one weight per training example
(how much to trust its label) so that a multinomial logistic regression trained
on the weighted data (the lower level) does well on a clean validation set.

The penalty method needs only gradients of the two levels. Implicit
differentiation (``bilevel-aid``) also needs Hessian-vector products of the
lower level. Both run here with the settings of the plugin's benchmark: the
same fixed outer step and number of steps, so both follow the hypergradient
flow from x = 0 and differ in how they compute the hypergradient. Each
solver's weights x are scored through the same tight lower-level solve
y*(x), the model the bilevel problem defines at x.
"""

from solverkit_bilevel.data_problems import hyper_cleaning

import solverkit as sk

settings = {
    "bilevel-penalty": {"sigma": 0.003, "outer_rule": "fixed", "outer_step": 1000.0,
                        "max_iter": 50, "inner_solver": "apg", "shift_warm_start": True,
                        "tilt": True, "extrapolate": True, "inner_tol_factor": 10.0,
                        "z_tol_factor": 3.0, "certify": False},
    "bilevel-aid": {"step": 1000.0, "max_iter": 50},
}
instance = hyper_cleaning(seed=0, corruption=0.5)  # the problem and its test split
for method, options in settings.items():
    res = sk.solve(instance.problem, method=method, seed=0, **options)
    model, _ = instance.lower_level_solution(res.x, res.extra.get("z", res.extra["y"]))
    print(f"{method:16s} test accuracy {instance.accuracy(model):.3f}  "
          f"time {res.time:5.1f} s  gradient calls {res.extra['grad_calls']}  "
          f"Hessian-vector products {res.extra.get('hvp_calls', 0)}")
