//! Loads a shared library from bytes already in memory, never from the path they were
//! read from: on Linux from a sealed anonymous memory file (`memfd_create`, opened as
//! `/proc/self/fd/N`), elsewhere (or when memory files are unavailable) from a private
//! copy in a freshly created directory only this user can enter, removed right after
//! loading where the platform allows it.

use std::ffi::OsString;
use std::fs::File;
use std::io::Write;
use std::mem::ManuallyDrop;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use libloading::Library;

/// A library loaded from bytes. Dropping it unloads the library (when the platform's
/// loader lets it go) and then releases what held the bytes.
pub(crate) struct LoadedLibrary {
    lib: ManuallyDrop<Library>,
    /// The name the library was opened under (`/proc/self/fd/N`, or the private copy).
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    name: OsString,
    /// The memory file behind `/proc/self/fd/N`.
    #[cfg(target_os = "linux")]
    memfd: Option<std::os::fd::OwnedFd>,
    /// Private folder to remove after unloading (platforms that cannot delete a loaded
    /// library's file).
    #[cfg_attr(unix, allow(dead_code))]
    cleanup: Option<PathBuf>,
}

impl LoadedLibrary {
    pub(crate) fn library(&self) -> &Library {
        &self.lib
    }

    /// The name given to the platform's loader (for tests and messages).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn loader_name(&self) -> &std::ffi::OsStr {
        &self.name
    }
}

impl Drop for LoadedLibrary {
    fn drop(&mut self) {
        // SAFETY: the library is dropped once, here; every function pointer taken from it
        // belongs to the owner of this value, which is being dropped.
        unsafe { ManuallyDrop::drop(&mut self.lib) };
        #[cfg(target_os = "linux")]
        if let Some(fd) = self.memfd.take() {
            // The dynamic loader finds already-loaded libraries by name: if this one stays
            // resident (it may be marked not unloadable), closing the memory file would let a
            // later library get the same `/proc/self/fd/N` name and be mistaken for it. So
            // the descriptor is kept open for as long as the library is still loaded.
            // SAFETY: RTLD_NOLOAD only looks the name up; it runs no code of the library.
            let resident = unsafe {
                libloading::os::unix::Library::open(
                    Some(&self.name),
                    libc::RTLD_NOLOAD | libc::RTLD_LAZY,
                )
            };
            match resident {
                Ok(probe) => {
                    drop(probe);
                    std::mem::forget(fd);
                }
                Err(_) => drop(fd),
            }
        }
        if let Some(dir) = self.cleanup.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Loads `bytes` as a shared library. `display` names the library in messages.
///
/// # Safety
/// Loading a library runs its initialisers: the caller must have verified the bytes.
pub(crate) unsafe fn load_bytes(bytes: &[u8], display: &Path) -> Result<LoadedLibrary, String> {
    #[cfg(target_os = "linux")]
    {
        if Path::new("/proc/self/fd").is_dir() {
            // when memory files are refused (e.g. a kernel that forbids executable ones),
            // a private copy is used instead
            if let Ok(fd) = memfd::create(bytes) {
                return memfd::load(fd, display);
            }
        }
    }
    private_copy(bytes, display)
}

#[cfg(target_os = "linux")]
mod memfd {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    /// A sealed memory file holding `bytes`: nobody, not even this process, can change it.
    pub(super) fn create(bytes: &[u8]) -> std::io::Result<OwnedFd> {
        // SAFETY: a valid C string and flags; the result is checked.
        let fd = unsafe {
            libc::memfd_create(
                c"radx-plugin".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` was just created and is owned by nobody else.
        let mut file = File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.write_all(bytes)?;
        let seals =
            libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_WRITE | libc::F_SEAL_SEAL;
        // SAFETY: fcntl on a descriptor we own.
        if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_ADD_SEALS, seals) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(OwnedFd::from(file))
    }

    /// # Safety
    /// As [`load_bytes`](super::load_bytes).
    pub(super) unsafe fn load(fd: OwnedFd, display: &Path) -> Result<LoadedLibrary, String> {
        let name = OsString::from(format!("/proc/self/fd/{}", fd.as_raw_fd()));
        let lib = Library::new(&name).map_err(|e| {
            e.to_string()
                .replace(&*name.to_string_lossy(), &display.display().to_string())
        })?;
        Ok(LoadedLibrary {
            lib: ManuallyDrop::new(lib),
            name,
            memfd: Some(fd),
            cleanup: None,
        })
    }
}

/// A new folder under the system's temporary folder that only this user can enter; its
/// creation fails rather than reuse an existing folder.
fn private_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let mut last = String::new();
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("radx-plugin-{}-{nanos:x}-{n}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        match builder.create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                last = e.to_string();
            }
            Err(e) => {
                return Err(format!(
                    "cannot create a private folder in {}: {e}",
                    base.display()
                ))
            }
        }
    }
    Err(format!(
        "cannot create a private folder in {}: {last}",
        base.display()
    ))
}

/// Loads a private copy of `bytes`.
///
/// # Safety
/// As [`load_bytes`].
unsafe fn private_copy(bytes: &[u8], display: &Path) -> Result<LoadedLibrary, String> {
    let dir = private_dir()?;
    let file = dir.join(format!(
        "{}plugin{}",
        std::env::consts::DLL_PREFIX,
        std::env::consts::DLL_SUFFIX
    ));
    let result = (|| {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut f = options
            .open(&file)
            .map_err(|e| format!("cannot write a private copy {}: {e}", file.display()))?;
        f.write_all(bytes)
            .and_then(|_| f.sync_all())
            .map_err(|e| format!("cannot write a private copy {}: {e}", file.display()))?;
        drop(f);
        Library::new(&file).map_err(|e| {
            e.to_string()
                .replace(&*file.to_string_lossy(), &display.display().to_string())
        })
    })();
    // Unix keeps a loaded library's mapping after its file is removed; elsewhere the copy
    // is removed after unloading.
    let keep_until_drop = cfg!(not(unix)) && result.is_ok();
    if !keep_until_drop {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let lib = result?;
    Ok(LoadedLibrary {
        lib: ManuallyDrop::new(lib),
        name: file.into_os_string(),
        #[cfg(target_os = "linux")]
        memfd: None,
        cleanup: keep_until_drop.then_some(dir),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_folders_are_new_and_private() {
        let a = private_dir().unwrap();
        let b = private_dir().unwrap();
        assert_ne!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::fs::remove_dir(a).unwrap();
        std::fs::remove_dir(b).unwrap();
    }

    #[test]
    fn bytes_that_are_not_a_library_are_refused_naming_the_file() {
        let e = unsafe { load_bytes(b"not a library", Path::new("/x/libfake.so")) }
            .err()
            .unwrap();
        assert!(!e.is_empty());
        assert!(!e.contains("/proc/self/fd"), "{e}");
        let e = unsafe { private_copy(b"not a library", Path::new("/x/libfake.so")) }
            .err()
            .unwrap();
        assert!(e.contains("/x/libfake.so"), "{e}");
    }
}
