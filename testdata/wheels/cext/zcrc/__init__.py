from ._zcrc import crc32, random_below

__all__ = ["crc32", "random_below"]
