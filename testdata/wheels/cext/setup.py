# A C extension on the limited API (abi3) that links the host's zlib and calls
# arc4random (glibc 2.36). tests/bundle_wheel.rs builds it with `pip wheel`.
from setuptools import Extension, setup

setup(
    name="zcrc",
    version="1.0",
    packages=["zcrc"],
    ext_modules=[
        Extension(
            "zcrc._zcrc",
            ["zcrc/_zcrc.c"],
            libraries=["z"],
            py_limited_api=True,
            define_macros=[("Py_LIMITED_API", "0x03070000")],
        )
    ],
    options={"bdist_wheel": {"py_limited_api": "cp37"}},
)
