"""``pyhelm.AsyncClient``: the release verbs as coroutines, concurrent and cancellable.

Each call runs ``pyhelm.Client``'s method of the same name, with the same typed
parameters and result, in a worker process of its own. Calls run concurrently (one
process each), and cancelling the awaiting task (``task.cancel()``,
``asyncio.wait_for(..., timeout)``, a ``TaskGroup`` failing) stops the operation at once
by terminating its process. A stopped operation leaves the release as a killed ``pyhelm``
leaves it: its pending revision is recovered (marked failed) by the next operation on
that release, so nothing stays locked or half-recorded (the fault-injection suite tests
exactly this). Errors are the ``pyhelm.errors`` classes, raised in the caller.

    async with asyncio.TaskGroup() as group:
        web = group.create_task(client.install("web", "charts/demo", wait=True))
        api = group.create_task(client.install("api", "charts/demo", wait=True))
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from typing import Any, Concatenate, ParamSpec, TypeVar

from pyhelm.client import Client
from pyhelm.errors import PyhelmError

P = ParamSpec("P")
R = TypeVar("R")


def _work(conn: Connection, client_args: dict[str, Any], method: str, args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> None:
    """In the worker: run the call, send back ("ok", result) or ("error", exception)."""
    try:
        result = getattr(Client(**client_args), method)(*args, **kwargs)
        conn.send(("ok", result))
    except BaseException as exc:  # every failure goes back to the caller
        try:
            conn.send(("error", exc))
        except Exception:  # an exception that does not pickle: its type and message
            conn.send(("error", PyhelmError(f"{type(exc).__name__}: {exc}")))
    finally:
        conn.close()


def _cancellable(method: Callable[Concatenate[Client, P], R]
                 ) -> Callable[Concatenate[AsyncClient, P], Awaitable[R]]:
    name = method.__name__

    async def call(self: AsyncClient, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return await self._run(name, args, kwargs)  # type: ignore[no-any-return]

    call.__name__ = name
    call.__doc__ = f"``Client.{name}`` as a cancellable coroutine.\n\n{method.__doc__ or ''}"
    return call


class AsyncClient:
    """The release verbs of ``pyhelm.Client`` as coroutines (same arguments)."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 namespace: str | None = None, driver: str | None = None) -> None:
        self._client_args: dict[str, Any] = {"kubeconfig": kubeconfig, "context": context,
                                             "namespace": namespace, "driver": driver}

    async def _run(self, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded event loop
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_work, daemon=True,
                                  args=(sender, self._client_args, method, args, kwargs))
        process.start()
        sender.close()
        try:
            status, value = await asyncio.get_running_loop().run_in_executor(
                None, _receive, receiver)
        except asyncio.CancelledError:
            process.terminate()  # the release recovers as after a killed pyhelm
            raise
        finally:
            await asyncio.get_running_loop().run_in_executor(None, process.join)
            receiver.close()
        if status == "error":
            raise value
        return value

    install = _cancellable(Client.install)
    upgrade = _cancellable(Client.upgrade)
    rollback = _cancellable(Client.rollback)
    uninstall = _cancellable(Client.uninstall)
    history = _cancellable(Client.history)
    status = _cancellable(Client.status)
    list = _cancellable(Client.list)
    get = _cancellable(Client.get)
    get_values = _cancellable(Client.get_values)
    test = _cancellable(Client.test)
    diff_upgrade = _cancellable(Client.diff_upgrade)
    template = _cancellable(Client.template)


def _receive(receiver: Connection) -> tuple[str, Any]:
    try:
        status, value = receiver.recv()
    except EOFError:  # the worker died (terminated when cancelled, or killed)
        return "error", PyhelmError("the operation's worker process ended without a result")
    return str(status), value
