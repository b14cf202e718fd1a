//! Which libraries a bundle never ships: glibc's own, which must match the target's
//! loader, and the libraries that must come from the target system because they talk to
//! its drivers or its display server (the idea behind the manylinux policies' library
//! lists). Everything else a program loads is shipped with it. The C++ runtime
//! (libstdc++, libgcc_s) is decided per closure, from what it needs (`super::runtime`).

/// Why a library stays on the target system.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Keep {
    /// Part of glibc: it must match the target's loader. Never bundled, even with
    /// `--include`.
    Glibc,
    /// A GPU, graphics or sound driver interface: the target's own matches its hardware.
    Driver,
    /// An X11 or Wayland client library: it must match the target's display server
    /// protocol and the drivers loaded into the process.
    Display,
    /// Part of every Linux system's base that glibc's users assume (libcrypt).
    Base,
    /// On every system a manylinux policy covers (a wheel's library whitelist,
    /// [`super::manylinux`]).
    Manylinux,
}

impl Keep {
    /// Why, in words.
    pub fn reason(self) -> &'static str {
        match self {
            Keep::Glibc => "part of glibc: the target's own, matching its loader (never bundled)",
            Keep::Driver => "policy: a driver interface comes from the target system",
            Keep::Display => "policy: X11/Wayland client libraries come from the target system",
            Keep::Base => "policy: part of every target's base system",
            Keep::Manylinux => "manylinux policy: on every system the wheel's tag covers",
        }
    }
}

/// glibc's libraries by soname (and the loader under any of its architecture's names).
const GLIBC: &[&str] = &[
    "libc.so.6",
    "libm.so.6",
    "libmvec.so.1",
    "libpthread.so.0",
    "libdl.so.2",
    "librt.so.1",
    "libutil.so.1",
    "libresolv.so.2",
    "libanl.so.1",
    "libnsl.so.1",
    "libBrokenLocale.so.1",
    "libthread_db.so.1",
    "libc_malloc_debug.so.0",
    "libmemusage.so",
    "libpcprofile.so",
    "libSegFault.so",
    // 32-bit and older architectures' libc/libm sonames.
    "libc.so.6.1",
    "libm.so.6.1",
];

/// Driver interfaces (glob patterns on the soname).
const DRIVER: &[&str] = &[
    "libGL.so.*",
    "libGLX.so.*",
    "libGLX_*.so.*",
    "libEGL.so.*",
    "libEGL_*.so.*",
    "libOpenGL.so.*",
    "libGLESv1_CM.so.*",
    "libGLESv2.so.*",
    "libGLdispatch.so.*",
    "libvulkan.so.*",
    "libcuda.so.*",
    "libnvidia-*.so*",
    "libOpenCL.so.*",
    "libdrm.so.*",
    "libdrm_*.so.*",
    "libgbm.so.*",
    "libva.so.*",
    "libva-*.so.*",
    "libvdpau.so.*",
    "libasound.so.*",
];

/// X11 and Wayland client libraries.
const DISPLAY: &[&str] = &[
    "libX11.so.*",
    "libX11-xcb.so.*",
    "libxcb.so.*",
    "libxcb-*.so.*",
    "libXau.so.*",
    "libXdmcp.so.*",
    "libXext.so.*",
    "libXrender.so.*",
    "libXi.so.*",
    "libXfixes.so.*",
    "libXrandr.so.*",
    "libXcursor.so.*",
    "libXinerama.so.*",
    "libXxf86vm.so.*",
    "libXcomposite.so.*",
    "libXdamage.so.*",
    "libXtst.so.*",
    "libXss.so.*",
    "libSM.so.*",
    "libICE.so.*",
    "libxkbcommon.so.*",
    "libxkbcommon-x11.so.*",
    "libwayland-client.so.*",
    "libwayland-cursor.so.*",
    "libwayland-egl.so.*",
    "libwayland-server.so.*",
];

/// Base-system libraries every target has at a compatible version.
const BASE: &[&str] = &["libcrypt.so.1"];

/// Whether `name` (a soname or file name) is glibc's own.
pub fn is_glibc(name: &str) -> bool {
    GLIBC.contains(&name)
        || name.starts_with("libnss_")
        || name.starts_with("ld-linux")
        || name.starts_with("ld64.so.")
        || name == "ld.so.1"
        || (name.starts_with("ld-") && name.ends_with(".so"))
}

/// Why the policy keeps `name` on the target, or `None` when it is shipped.
pub fn keep(name: &str) -> Option<Keep> {
    if is_glibc(name) {
        return Some(Keep::Glibc);
    }
    let any = |list: &[&str]| list.iter().any(|p| matches(p, name));
    if any(DRIVER) {
        Some(Keep::Driver)
    } else if any(DISPLAY) {
        Some(Keep::Display)
    } else if any(BASE) {
        Some(Keep::Base)
    } else {
        None
    }
}

/// Shell-style pattern match (`*`, `?`, `[...]`) of a library name.
pub fn matches(pattern: &str, name: &str) -> bool {
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches(name))
}

/// Every pattern of the policy, for the documentation.
pub fn lists() -> [(Keep, Vec<&'static str>); 4] {
    [
        (Keep::Glibc, GLIBC.to_vec()),
        (Keep::Driver, DRIVER.to_vec()),
        (Keep::Display, DISPLAY.to_vec()),
        (Keep::Base, BASE.to_vec()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glibc_and_policy() {
        for n in [
            "libc.so.6",
            "libpthread.so.0",
            "ld-linux-x86-64.so.2",
            "ld-linux-aarch64.so.1",
            "libnss_files.so.2",
            "ld64.so.2",
        ] {
            assert_eq!(keep(n), Some(Keep::Glibc), "{n}");
        }
        assert_eq!(keep("libGL.so.1"), Some(Keep::Driver));
        assert_eq!(keep("libnvidia-ml.so.1"), Some(Keep::Driver));
        assert_eq!(keep("libxcb-shm.so.0"), Some(Keep::Display));
        assert_eq!(keep("libwayland-client.so.0"), Some(Keep::Display));
        for n in [
            "libz.so.1",
            "libssl.so.3",
            "libstdc++.so.6",
            "libgcc_s.so.1",
            "libGLU.so.1",
            "libicuuc.so.72",
        ] {
            assert_eq!(keep(n), None, "{n}");
        }
    }
}
