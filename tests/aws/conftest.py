"""AWS tier fixtures; the helpers live in aws_world.py (a unique module name, unlike ``conftest``)."""

from aws_world import fake_credentials, moto, moto_url, world

__all__ = ["fake_credentials", "moto", "moto_url", "world"]
