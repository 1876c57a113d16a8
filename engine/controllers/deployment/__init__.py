"""The Deployment controller, laid out as upstream's `pkg/controller/deployment/`:

- `controller.py` — DeploymentController: informer handlers, ReplicaSet adoption, syncDeployment;
- `sync.py` — the new ReplicaSet and revision sync, scaling and proportional scaling, history cleanup, status;
- `rolling.py` / `recreate.py` — the two strategies;
- `progress.py` — the Progressing condition and the progress-deadline requeue;
- `util.py` — deployment_util.go: fenceposts, revisions, annotations, hashing, conditions, rollback helpers.

`engine/controllers/__init__.py` imports this package with its siblings; importing `controller` here is what
registers the class (`register_controller`), once.
"""

from . import controller as controller
