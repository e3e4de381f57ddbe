"""hover's compatibility layer for moto's CloudFormation.

`install()` must run before the first CloudFormation call in the process:

* handlers (``hover_compat.handlers_*``) add CloudFormation support for the
  resource types that moto 5.2.5 silently skips, on moto's own service
  backends, so the resources exist afterwards and ``Ref``/``Fn::GetAtt`` work;
* mends (``hover_compat.mends``) patch moto's model classes where moto's
  CloudFormation (or a Lambda API) gets a supported type wrong;
* stand-ins for what moto cannot do here: ``hover_compat.lambda_runtime``
  answers invocations of image functions (moto needs Docker for them) and
  ``hover_compat.ecr_registry`` puts ECR in front of the local registry that
  ``localstack/start`` runs.

``hover_compat.request_counter`` and ``hover_compat.control`` (used by
``server.py``, not by ``install()``) are test aids, not corrections: the first
counts the requests the server receives, the second serves the runtime
stand-in's rules and record (``/hover-compat/lambda/...``).

Every handler and mend names the moto behaviour it corrects in its docstring.
"""

_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    # Importing the handler modules defines the CloudFormationModel
    # subclasses; moto builds its type map from those subclasses.
    from . import handlers_apigatewayv2, handlers_cloudfront, handlers_lambda, handlers_s3  # noqa: F401
    from . import ecr_registry, lambda_runtime, mends

    mends.apply_all()
    lambda_runtime.install()
    ecr_registry.install()

    # moto caches the type map on first use: drop the caches so the handlers
    # are seen even if something already touched CloudFormation.
    from moto.cloudformation import parsing

    for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
        cached.cache_clear()
    _installed = True


def handled_types() -> list:
    """The CloudFormation types this layer adds to moto."""
    from . import handlers_apigatewayv2, handlers_cloudfront, handlers_lambda, handlers_s3

    types = []
    for mod in (handlers_apigatewayv2, handlers_cloudfront, handlers_lambda, handlers_s3):
        types.extend(cls.cloudformation_type() for cls in mod.HANDLERS)
    return types
