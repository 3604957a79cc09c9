"""Lantern's app for `uvicorn --factory --workers N` (API processes only, no worker loop): how
the benches run several API processes on one port, as a production deployment would."""

from fastapi import FastAPI

from api.main import create_app
from api.platform.logs import configure_logging
from api.settings import get_settings


def create() -> FastAPI:
    settings = get_settings()
    configure_logging(settings.log_level)
    return create_app(settings, freeze_gc=True)
