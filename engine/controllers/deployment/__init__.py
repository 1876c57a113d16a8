"""The Deployment controller, laid out as upstream's `pkg/controller/deployment/`: `controller.py` holds
DeploymentController, `util.py` the deployment_util.go helpers.

`engine/controllers/__init__.py` imports this package with its siblings; importing `controller` here is what
registers the class (`register_controller`), once.
"""

from . import controller as controller
