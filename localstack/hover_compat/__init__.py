"""hover's compatibility layer for moto's CloudFormation.

`install()` must run before the first CloudFormation call in the process:

* handlers (``hover_compat.handlers_*``) add CloudFormation support for the
  resource types that moto 5.2.5 silently skips, on moto's own service
  backends, so the resources exist afterwards and ``Ref``/``Fn::GetAtt`` work;
* mends (``hover_compat.mends``) patch moto's model classes where moto's
  CloudFormation (or a Lambda API) gets a supported type wrong;
* ``hover_compat.sqs_move_tasks`` adds SQS's message move tasks (dead-letter
  queue redrive), which moto lacks;
* ``hover_compat.live_tail`` adds CloudWatch Logs Live Tail (``StartLiveTail``
  answering an event stream of the lines written after it started), which
  moto has only as a stub; it is a WSGI middleware (it must stream), put in
  front of moto by ``request_counter.make_server_class``;
* stand-ins for what moto cannot do here: ``hover_compat.lambda_runtime``
  answers invocations of image functions (moto needs Docker for them) and
  ``hover_compat.ecr_registry`` puts ECR in front of the local registry that
  ``localstack/start`` runs.

Host mode (``HOVER_EMULATOR_RUNTIME=host`` in the server's environment; read
by ``host_runtime.configure``, which ``server.py`` calls with the emulator's
URL and state dir): image functions run for real instead of the stand-in.
``hover_compat.host_runtime`` unpacks the function version's image from the
local registry into ``<state>/images/<digest>/rootfs`` and runs its entry point
as a host process (the host's PHP through ``HOVER_PHP``/``HOVER_PHP_FPM``,
default Debian's ``/usr/bin/php8.2`` and ``/usr/sbin/php-fpm8.2``) speaking the
Lambda Runtime API that the emulator serves per container: sync and async
Invoke, timeouts, init errors, crashes, concurrency up to the reserved
concurrency (else 10), logs to ``<state>/logs/`` and CloudWatch Logs.
``hover_compat.host_triggers`` replaces moto's inline SQS delivery with a
poller per event source mapping, fires EventBridge rules on demand
(``POST /hover-compat/events/fire``) and serves HTTP APIs as payload 2.0
(``/hover-compat/http/{api-id}/{path}``; these two also work with the
stand-in). Without the variable the stand-in answers, and no process is
started.

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
    from . import ecr_registry, host_runtime, host_triggers, lambda_runtime, mends, sqs_move_tasks

    mends.apply_all()
    lambda_runtime.install()
    host_runtime.install()
    host_triggers.install()
    ecr_registry.install()
    sqs_move_tasks.install()

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
