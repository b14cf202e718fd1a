from ._cxxdemo import greet, squares_sum

__all__ = ["greet", "squares_sum"]
