# A C++ extension: std::string, an exception crossing a function boundary, and
# std::string::reserve() (GLIBCXX_3.4.29, with no older version: newer than
# manylinux2014's 3.4.19 and manylinux_2_31's 3.4.28). tests/bundle_wheel.rs builds it.
from setuptools import Extension, setup

setup(
    name="cxxdemo",
    version="1.0",
    packages=["cxxdemo"],
    ext_modules=[
        Extension(
            "cxxdemo._cxxdemo",
            ["cxxdemo/_cxxdemo.cpp"],
            language="c++",
            extra_compile_args=["-std=c++17"],
            # The limited API (abi3): the same wheel imports in bullseye's python3.9.
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03070000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp37"}},
)
