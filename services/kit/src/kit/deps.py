"""FastAPI dependencies every service uses, as Annotated aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import asyncpg
from fastapi import Depends, Request


async def _connection(request: Request) -> AsyncIterator[asyncpg.Connection]:
    async with request.app.state.runtime.pool.acquire() as conn:
        yield conn


async def _runtime(request: Request) -> Any:
    return request.app.state.runtime


Conn = Annotated[asyncpg.Connection, Depends(_connection)]
RuntimeDep = Annotated[Any, Depends(_runtime)]
