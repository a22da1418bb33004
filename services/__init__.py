"""The service layer between the pages and the packages below (see `services.app.Services`)."""

from services.app import Services

__all__ = ["Services"]
